"""Safety linkage and content-quality queries."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from dashboards.data import NoData, Reader
from dashboards.filters import Filters
from dashboards.queries import linkage as q_linkage
from dashboards.queries.common import dept_where, established, month_of, wilson


@dataclass
class Safety:
    """Inputs of the safety page; ``disabled`` explains why there are no charts."""

    month: dt.date | None = None
    disabled: str = ""
    funnel: pl.DataFrame = field(default_factory=pl.DataFrame)
    series: pl.DataFrame = field(default_factory=pl.DataFrame)
    ratio: pl.DataFrame = field(default_factory=pl.DataFrame)
    linkage: pl.DataFrame = field(default_factory=pl.DataFrame)
    missing_census: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


NO_CENSUS = (
    "Census data (patient-days) has not been imported, so incident rates and the linkage to "
    "training are disabled rather than shown as raw counts. Import a census file "
    "(`lrs analytics import census …`) and refresh."
)


def safety(r: Reader, f: Filters) -> Safety:
    """Funnel inputs (last 12 months), monthly harm rate vs readiness gap, near-miss ratio."""
    r.need("departments")
    if not r.has("census", "incident_rates"):
        return Safety(disabled=NO_CENSUS)
    if not r.rows("SELECT count(*) FROM census")[0][0]:
        return Safety(disabled=NO_CENSUS)
    month = month_of(r, f, "incident_rates")
    where, params = dept_where(f)
    window = [month, month, *params]
    span = "ir.month <= ? AND ir.month > ? - INTERVAL 12 MONTH"
    funnel = r.frame(
        f"""SELECT d.name AS department, sum(ir.patient_days)::DOUBLE AS patient_days,
                   sum(ir.harm_events)::BIGINT AS harm_events,
                   sum(ir.near_misses)::BIGINT AS near_misses
            FROM incident_rates ir JOIN departments d USING (department_id)
            WHERE {span} AND {where} GROUP BY ALL HAVING sum(ir.patient_days) > 0
            ORDER BY department""",
        window,
    )
    series = r.frame(
        f"""SELECT ir.month, sum(ir.harm_events) * 1000.0 / nullif(sum(ir.patient_days), 0)
                   AS harm_rate, sum(ir.near_misses) * 1000.0 / nullif(sum(ir.patient_days), 0)
                   AS near_miss_rate
            FROM incident_rates ir JOIN departments d USING (department_id)
            WHERE ir.month <= ? AND ir.month > ? - INTERVAL 24 MONTH AND {where}
            GROUP BY ir.month ORDER BY ir.month""",
        window,
    )
    series = series.join(_readiness_gap(r, f, month), on="month", how="left")
    linkage = q_linkage.linkage(r)
    missing = [
        str(n)
        for (n,) in r.rows(
            f"SELECT d.name FROM departments d WHERE {where} AND NOT EXISTS (SELECT 1 FROM census "
            "c WHERE c.department_id = d.department_id) ORDER BY d.name",
            params,
        )
    ]
    ratio = funnel.with_columns(
        ratio=pl.col("near_misses") / pl.when(pl.col("harm_events") > 0).then(pl.col("harm_events"))
    )
    return Safety(month, "", funnel, series, ratio, linkage, missing, _left_out(r, f, funnel))


def _left_out(r: Reader, f: Filters, funnel: pl.DataFrame) -> list[str]:
    """Departments with census but absent from the funnel, each with the reason."""
    where, params = dept_where(f)
    shown = set(funnel["department"].to_list()) if funnel.height else set()
    names = [
        str(n)
        for (n,) in r.rows(
            f"SELECT d.name FROM departments d WHERE {where} AND EXISTS (SELECT 1 FROM census c "
            "WHERE c.department_id = d.department_id) ORDER BY d.name",
            params,
        )
    ]
    return [f"{n}: no patient-days in the last 12 months" for n in names if n not in shown]


def model_warnings(r: Reader) -> list[str]:
    """Messages of the ``model_warnings`` table (absent in older warehouses: none)."""
    if not r.has("model_warnings") or "message" not in r.columns["model_warnings"]:
        return []
    return [
        str(m)
        for (m,) in r.rows(
            "SELECT message FROM model_warnings WHERE message IS NOT NULL "
            "ORDER BY severity = 'error' DESC, code"
        )
    ]


def _readiness_gap(r: Reader, f: Filters, month: dt.date) -> pl.DataFrame:
    """Monthly readiness gap (1 - readiness) of the competencies the linkage model uses."""
    if not r.has("dept_competency_month"):
        return pl.DataFrame(schema={"month": pl.Date, "readiness_gap": pl.Float64})
    linked = (
        "SELECT competency_id FROM linkage"
        if r.has("linkage")
        else ("SELECT competency_id FROM competencies")
    )
    where, params = dept_where(f)
    n = established(r)
    return r.frame(
        f"""SELECT m.month, 1 - sum(m.readiness * {n})
                   / nullif(sum({n}) FILTER (WHERE m.readiness IS NOT NULL), 0)
                   AS readiness_gap
            FROM dept_competency_month m JOIN departments d USING (department_id)
            WHERE m.competency_id IN ({linked}) AND m.month <= ?
              AND m.month > ? - INTERVAL 24 MONTH AND {where}
            GROUP BY m.month ORDER BY m.month""",
        [month, month, *params],
    )


def content(
    r: Reader, names: Callable[[Sequence[str]], dict[str, str]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-activity quality (with a display ``name``) and per-item difficulty/discrimination.

    ``names`` looks activity ids up in the LRS's activity definitions; ids it does not know
    are named after the competency whose id is a segment of the IRI, else by their path.
    """
    if not r.has("activity_quality"):
        raise NoData("Content quality has not been computed yet — run `lrs analytics refresh`.")
    activities = r.frame(
        "SELECT * FROM activity_quality ORDER BY first_attempt_pass_rate NULLS LAST, activity_id"
    )
    ids = [str(a) for a in activities["activity_id"].to_list()]
    labels = activity_labels(ids, names(ids), _competency_names(r))
    activities = activities.with_columns(name=pl.Series(labels, dtype=pl.Utf8))
    activities = with_pass_interval(activities)
    items = (
        r.frame("SELECT * FROM item_quality ORDER BY activity_id, item_id")
        if r.has("item_quality")
        else pl.DataFrame()
    )
    if items.height:
        by_id = dict(zip(ids, labels, strict=True))
        items = items.with_columns(
            activity=pl.col("activity_id").replace_strict(by_id, default=pl.col("activity_id"))
        )
    return activities, items


def _competency_names(r: Reader) -> dict[str, str]:
    if not r.has("competencies"):
        return {}
    return {str(k): str(v) for k, v in r.rows("SELECT competency_id, name FROM competencies")}


def activity_labels(
    ids: list[str], known: dict[str, str], competencies: dict[str, str]
) -> list[str]:
    """One distinct, readable label per activity id (see :func:`content`)."""
    prefix = os.path.commonprefix(ids) if len(ids) > 1 else ""  # noqa: RUF071 (chars, then cut at /)
    prefix = prefix[: prefix.rfind("/") + 1]
    raw = []
    for a in ids:
        name = known.get(a)
        if not name:
            segments = a.rstrip("/").split("/")
            name = next((competencies[s] for s in reversed(segments) if s in competencies), None)
        raw.append(name or a[len(prefix) :] or a)
    tail = _common_suffix(raw)
    out, seen = [], Counter[str]()
    for label in raw:
        label = label[: len(label) - len(tail)] if tail and label.endswith(tail) else label
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _common_suffix(labels: list[str]) -> str:
    """A trailing ``": word"`` part (e.g. ": assessment") shared by every label that has one."""
    tails = {x[x.rfind(":") :] for x in labels if ":" in x}
    if len(tails) != 1 or sum(":" in x for x in labels) < 2:
        return ""
    return tails.pop()


def with_pass_interval(activities: pl.DataFrame) -> pl.DataFrame:
    """``pass_lo``/``pass_hi``: the Wilson 95 % interval of the first-attempt pass rate, one first
    attempt per learner (null where the rate or the count is unknown)."""
    if not {"first_attempt_pass_rate", "n_learners"} <= set(activities.columns):
        return activities
    bounds = [
        wilson(round(p * n), n) if p is not None and n else (None, None)
        for p, n in zip(
            activities["first_attempt_pass_rate"].to_list(),
            activities["n_learners"].to_list(),
            strict=True,
        )
    ]
    return activities.with_columns(
        pass_lo=pl.Series([b[0] for b in bounds], dtype=pl.Float64),
        pass_hi=pl.Series([b[1] for b in bounds], dtype=pl.Float64),
    )
