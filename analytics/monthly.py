"""Model inputs from the warehouse and the month-end series of compliance and readiness.

``read_inputs`` reads the warehouse tables the models need into Polars frames (statements
dated after ``as_of`` are left out, so a run is reproducible "as of" a date);
``month_ends`` lists the month ends of the series; ``monthly_series`` evaluates compliance
and readiness at each of them and rolls them up per department x competency x month, keeping
the per-cell status counts that explain a drop (§7 decomposition).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from analytics.models import (
    ModelSettings,
    answered_items,
    certification_evidence,
    compliance_status,
    department_compliance,
    department_readiness,
    evidence,
    readiness,
)
from analytics.models.compliance import COMPLIANT_STATUSES
from analytics.warehouse import Connection

_TABLES = (
    "staff",
    "departments",
    "competencies",
    "role_requirements",
    "activity_competency",
    "protocol_changes",
    "regulated_tasks",
    "certifications",
    "census",
    "incidents",
    "category_competency",
)
_STATEMENT_COLUMNS = (
    "statement_id, person_key, verb_id, object_id, registration, parent_ids, grouping_ids, "
    "score_scaled, score_raw, score_min, score_max, success, response, duration_s, "
    '"timestamp", role_code'
)
GROUP = ["department_id", "competency_id"]


@dataclass(frozen=True)
class Inputs:
    """The warehouse frames one model run reads, plus its derived evidence."""

    tables: dict[str, pl.DataFrame]
    statements: pl.DataFrame
    evidence: pl.DataFrame
    answered: pl.DataFrame

    def __getitem__(self, name: str) -> pl.DataFrame:
        """A warehouse table by name."""
        return self.tables[name]


def frame(conn: Connection, sql: str, params: list[object] | None = None) -> pl.DataFrame:
    """The result of a query as a Polars frame (through Arrow)."""
    result = pl.from_arrow(conn.sql(sql, params=params or None).to_arrow_table())
    assert isinstance(result, pl.DataFrame)
    return result


def read_inputs(conn: Connection, as_of: date, settings: ModelSettings) -> Inputs:
    """Read every model input as of the end of ``as_of`` (UTC) and derive the evidence."""
    tables = {name: frame(conn, f"SELECT * FROM {name}") for name in _TABLES}
    statements = frame(
        conn,
        f"SELECT {_STATEMENT_COLUMNS} FROM statements "
        'WHERE person_key IS NOT NULL AND CAST("timestamp" AS DATE) <= ?',
        [as_of],
    )
    statements = statements.with_columns(pl.col("timestamp").dt.convert_time_zone("UTC"))
    certs = tables["certifications"].filter(pl.col("issued") <= as_of)
    tables["certifications"] = certs
    ev = evidence(statements, tables["activity_competency"], settings=settings)
    answered = answered_items(statements, tables["activity_competency"])
    return Inputs(tables, statements, ev, answered)


def month_ends(as_of: date, months: int) -> list[date]:
    """The last ``months`` month ends up to ``as_of``; the last one is ``as_of`` itself."""
    ends = [as_of]
    day = as_of.replace(day=1) - timedelta(days=1)
    while len(ends) < months:
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(ends)


def status_at(inputs: Inputs, on: date) -> pl.DataFrame:
    """Compliance status of every required pair on ``on``."""
    return compliance_status(
        on,
        inputs["staff"],
        inputs["role_requirements"],
        inputs.evidence,
        inputs["certifications"],
        inputs["protocol_changes"],
    )


def readiness_at(
    inputs: Inputs, on: date, settings: ModelSettings, half_lives: pl.DataFrame | None
) -> pl.DataFrame:
    """Readiness of every pair on ``on``."""
    return readiness(
        on,
        inputs["staff"],
        inputs["role_requirements"],
        inputs["competencies"],
        inputs.evidence,
        inputs.answered,
        inputs["protocol_changes"],
        settings,
        certifications=inputs["certifications"],
        half_lives=half_lives,
    )


LAPSED = ("expired", "in_grace", "overdue")
#: a failed attempt this recent explains a lapse as ``failed_assessments`` (days)
FAILED_RECENT_DAYS = 90


def status_counts(status_df: pl.DataFrame, failed: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per department x competency: how many required staff are in each non-compliant state.

    ``failed`` (``person_key, competency_id`` with a recent failed attempt) splits the lapsed
    staff into ``n_failed`` (lapsed or overdue after failing an assessment), ``n_expired``
    (expired or in grace, no recent failure) and ``n_overdue`` (never passed, past the initial
    due date, no recent failure); ``n_onboarding`` counts new hires inside their first due
    period and ``n_established`` the rest of the required staff.
    """
    st = pl.col("status")
    if failed is not None and not failed.is_empty():
        flagged = failed.select("person_key", "competency_id").unique().with_columns(f=pl.lit(True))
        status_df = status_df.join(flagged, on=["person_key", "competency_id"], how="left")
    else:
        status_df = status_df.with_columns(f=pl.lit(False))
    failed_ = pl.col("f").fill_null(False) & st.is_in(LAPSED)
    return status_df.group_by(GROUP).agg(
        n_expired=(st.is_in(["expired", "in_grace"]) & ~failed_).sum().cast(pl.Int64),
        n_update_due=(st == "update_due").sum().cast(pl.Int64),
        n_onboarding=(st == "onboarding").sum().cast(pl.Int64),
        n_overdue=((st == "overdue") & ~failed_).sum().cast(pl.Int64),
        n_failed=failed_.sum().cast(pl.Int64),
        persons=pl.col("person_key"),
    )


def recent_failures(inputs: Inputs, on: date) -> pl.DataFrame:
    """``person_key, competency_id`` with a failed assessment in the 90 days up to ``on``."""
    ev = inputs.evidence
    day = pl.col("at").dt.date()
    start = on - timedelta(days=FAILED_RECENT_DAYS)
    return ev.filter((pl.col("kind") == "failed") & (day > start) & (day <= on)).select(
        "person_key", "competency_id"
    )


def flow_counts(prev: pl.DataFrame, cur: pl.DataFrame, end: date) -> pl.DataFrame:
    """What changed in the month ending ``end``: renewals due and new lapses per cell.

    ``n_due``: established staff compliant at the previous month end whose evidence expires
    by ``end`` and who are still required at ``end`` (in the department they are in now);
    ``n_lapsed``: those of them not renewed on time (expired, in grace or overdue at ``end``).
    Staff invalidated by a protocol change (``update_due``) are neither due nor lapsed: that
    is UPDATE_IN_PROGRESS, not a decline.
    """
    due = prev.filter(
        pl.col("status").is_in(COMPLIANT_STATUSES) & (pl.col("expires_on") <= end)
    ).select("person_key", "competency_id")
    now = cur.filter(pl.col("status") != "update_due").select(
        "person_key", "competency_id", "department_id", lapsed=pl.col("status").is_in(LAPSED)
    )
    return (
        due.join(now, on=["person_key", "competency_id"])
        .group_by(GROUP)
        .agg(n_due=pl.len().cast(pl.Int64), n_lapsed=pl.col("lapsed").sum().cast(pl.Int64))
    )


def month_cell(
    inputs: Inputs,
    on: date,
    settings: ModelSettings,
    half_lives: pl.DataFrame | None,
    previous: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(status, readiness, department-month rows) on one month end.

    Rates use established staff: ``compliance_rate = n_compliant / n_established`` where
    ``n_established = n_required - n_onboarding`` (new hires inside their first due period
    are counted apart and never pull a rate down). ``previous`` (the status at the previous
    month end) adds the month's flow, ``n_due`` and ``n_lapsed`` (see :func:`flow_counts`).
    """
    status = status_at(inputs, on)
    ready = readiness_at(inputs, on, settings, half_lives)
    census = model_census(inputs["census"])
    comp = department_compliance(status, inputs["staff"], census).select(
        *GROUP, "n_required", "n_compliant"
    )
    dr = department_readiness(ready, inputs["staff"], census).select(
        *GROUP, "readiness", "readiness_lo", "readiness_hi", "readiness_state"
    )
    rows = (
        comp.join(dr, on=GROUP, how="left")
        .join(status_counts(status, recent_failures(inputs, on)), on=GROUP, how="left")
        .with_columns(
            n_established=pl.col("n_required") - pl.col("n_onboarding").fill_null(0),
            month=pl.lit(on.replace(day=1)),
            month_end=pl.lit(on),
        )
        .with_columns(
            compliance_rate=pl.when(pl.col("n_established") > 0).then(
                pl.col("n_compliant") / pl.col("n_established")
            )
        )
    )
    if previous is not None:
        rows = rows.join(flow_counts(previous, status, on), on=GROUP, how="left")
    else:
        rows = rows.with_columns(n_due=pl.lit(None, pl.Int64), n_lapsed=pl.lit(None, pl.Int64))
    rows = rows.with_columns(pl.col("n_due", "n_lapsed").fill_null(0))
    return status, ready, rows


def model_census(census: pl.DataFrame) -> pl.DataFrame:
    """The census with ``month`` as ``YYYY-MM`` text, the shape ``analytics.models`` expects."""
    return census.with_columns(pl.col("month").dt.strftime("%Y-%m"))


def monthly_series(
    inputs: Inputs,
    ends: list[date],
    settings: ModelSettings,
    half_lives: pl.DataFrame | None,
) -> pl.DataFrame:
    """Department x competency x month rows for every month end (oldest first).

    The first month end has no flow (``n_due = n_lapsed = 0``): it only seeds the next.
    """
    frames, previous = [], None
    for on in ends:
        status, _, rows = month_cell(inputs, on, settings, half_lives, previous)
        frames.append(rows)
        previous = status
    return pl.concat(frames, how="vertical_relaxed").sort(*GROUP, "month")


def certification_rows(inputs: Inputs) -> pl.DataFrame:
    """Certifications in the evidence shape (for listing what a status relied on)."""
    return certification_evidence(inputs["certifications"])
