"""Safety linkage and content-quality queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from dashboards.data import NoData, Reader
from dashboards.filters import Filters
from dashboards.queries.common import dept_where, month_of


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
    linkage = (
        r.frame("SELECT * FROM linkage ORDER BY competency_id")
        if r.has("linkage")
        else (pl.DataFrame())
    )
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
    return Safety(month, "", funnel, series, ratio, linkage, missing)


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
    return r.frame(
        f"""SELECT m.month, 1 - sum(m.readiness * m.n_required) / nullif(sum(m.n_required), 0)
                   AS readiness_gap
            FROM dept_competency_month m JOIN departments d USING (department_id)
            WHERE m.competency_id IN ({linked}) AND m.month <= ?
              AND m.month > ? - INTERVAL 24 MONTH AND {where}
            GROUP BY m.month ORDER BY m.month""",
        [month, month, *params],
    )


def content(r: Reader) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-activity quality and per-item difficulty/discrimination."""
    if not r.has("activity_quality"):
        raise NoData("Content quality has not been computed yet — run `lrs analytics refresh`.")
    activities = r.frame("SELECT * FROM activity_quality ORDER BY first_attempt_pass_rate")
    items = (
        r.frame("SELECT * FROM item_quality ORDER BY activity_id, item_id")
        if r.has("item_quality")
        else pl.DataFrame()
    )
    return activities, items
