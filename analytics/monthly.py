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


def status_counts(status_df: pl.DataFrame) -> pl.DataFrame:
    """Per department x competency: how many required staff are in each non-compliant state."""
    st = pl.col("status")
    return status_df.group_by(GROUP).agg(
        n_expired=st.is_in(["expired", "in_grace"]).sum().cast(pl.Int64),
        n_update_due=(st == "update_due").sum().cast(pl.Int64),
        n_onboarding=(st == "onboarding").sum().cast(pl.Int64),
        n_overdue=(st == "overdue").sum().cast(pl.Int64),
        persons=pl.col("person_key"),
    )


def month_cell(
    inputs: Inputs, on: date, settings: ModelSettings, half_lives: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(status, readiness, department-month rows) on one month end."""
    status = status_at(inputs, on)
    ready = readiness_at(inputs, on, settings, half_lives)
    census = model_census(inputs["census"])
    comp = department_compliance(status, inputs["staff"], census).select(
        *GROUP, "n_required", "n_compliant", "compliance_rate"
    )
    dr = department_readiness(ready, inputs["staff"], census).select(
        *GROUP, "readiness", "readiness_lo", "readiness_hi", "readiness_state"
    )
    rows = (
        comp.join(dr, on=GROUP, how="left")
        .join(status_counts(status), on=GROUP, how="left")
        .with_columns(month=pl.lit(on.replace(day=1)), month_end=pl.lit(on))
    )
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
    """Department x competency x month rows for every month end (oldest first)."""
    frames = [month_cell(inputs, on, settings, half_lives)[2] for on in ends]
    return pl.concat(frames, how="vertical_relaxed").sort(*GROUP, "month")


def certification_rows(inputs: Inputs) -> pl.DataFrame:
    """Certifications in the evidence shape (for listing what a status relied on)."""
    return certification_evidence(inputs["certifications"])
