"""Run every model on the warehouse as of a date and publish the results (ANALYTICS.md §9).

``run_models(warehouse, as_of)`` reads the inputs, computes the month-end series, the flags,
compliance/readiness/clearance as of the date, forecasts, incident rates and the linkage, and
writes all output tables in ONE writer session (atomic swap), recording the run in
``model_runs``. Re-running with the same ``as_of`` on the same data gives the same tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from threadpoolctl import threadpool_limits

from analytics.crosswalk import ModelWarning, resolve_crosswalk, warnings_frame
from analytics.flags import FlagSettings, compute_flags
from analytics.incident_models import NO_CENSUS, incident_rates, linkage
from analytics.item_quality import item_quality
from analytics.models import (
    ModelSettings,
    calibrate,
    cleared,
    click_through,
    department_readiness,
    forecast,
)
from analytics.monthly import (
    GROUP,
    Inputs,
    model_census,
    month_cell,
    month_ends,
    monthly_series,
    read_inputs,
)
from analytics.renewals import inputs_dues
from analytics.stats.shrinkage import shrink_proportions
from analytics.warehouse import Connection, Warehouse
from statements.errors import Conflict, FieldError

OUTPUT_TABLES = (
    "person_competency_status",
    "dept_competency_month",
    "flags",
    "cleared",
    "incident_rates",
    "linkage",
    "activity_quality",
    "item_quality",
    "department_readiness",
    "forecast",
    "half_life_calibration",
    "model_warnings",
)


@dataclass
class RunSummary:
    """What a run computed: rows per table, flag counts, seconds per stage."""

    as_of: date
    rows: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {**self.__dict__, "as_of": self.as_of.isoformat()}


def _person_status(status: pl.DataFrame, ready: pl.DataFrame) -> pl.DataFrame:
    r = ready.select(
        "person_key",
        "competency_id",
        "readiness",
        "readiness_lo",
        "readiness_hi",
        "readiness_state",
        "comprehension",
        first_attempt_mastery=pl.when(pl.col("n_items") > 0).then(
            pl.col("n_correct") / pl.col("n_items")
        ),
    )
    return status.join(r, on=["person_key", "competency_id"], how="left").select(
        "as_of",
        "person_key",
        "competency_id",
        "department_id",
        "role_code",
        "status",
        "last_evidence_at",
        "due_date",
        "expires_on",
        "evidence_ids",
        "waived",
        "readiness",
        "readiness_lo",
        "readiness_hi",
        "readiness_state",
        "comprehension",
        "first_attempt_mastery",
    )


def _dept_month(series: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
    parts = []
    for part in series.partition_by("competency_id", "month"):
        established = part["n_established"].to_numpy().astype(float)
        if not (established > 0).any():
            # nobody established yet (all onboarding, early in a history): nothing to shrink
            none = pl.lit(None, dtype=pl.Float64)
            parts.append(
                part.with_columns(compliance_shrunk=none, compliance_lo=none, compliance_hi=none)
            )
            continue
        shrunk = shrink_proportions(part["n_compliant"].to_numpy().astype(float), established)
        parts.append(
            part.with_columns(
                compliance_shrunk=pl.Series(shrunk.estimate),
                compliance_lo=pl.Series(shrunk.low),
                compliance_hi=pl.Series(shrunk.high),
            )
        )
    ew = flags.select(*GROUP, "month", "ewma", "ewma_lcl") if not flags.is_empty() else None
    out = pl.concat(parts, how="vertical_relaxed").drop("persons", "month_end")
    if ew is not None:
        out = out.join(ew, on=[*GROUP, "month"], how="left")
    return out.sort(*GROUP, "month")


def _cleared(inputs: Inputs, status: pl.DataFrame, as_of: date) -> pl.DataFrame:
    tasks = inputs["regulated_tasks"]
    frames = []
    for task in tasks["task_id"].to_list():
        c = cleared(status, tasks, task, as_of)
        frames.append(
            c.select(
                "as_of",
                "task_id",
                "person_key",
                "cleared",
                evidence_ids=pl.col("competencies").list.eval(
                    pl.element().struct.field("evidence_ids").explode()
                ),
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "as_of": pl.Date,
                "task_id": pl.Utf8,
                "person_key": pl.Utf8,
                "cleared": pl.Boolean,
                "evidence_ids": pl.List(pl.Utf8),
            }
        )
    return pl.concat(frames)


def _activity_quality(inputs: Inputs, settings: ModelSettings) -> pl.DataFrame:
    ev = inputs.evidence.filter(pl.col("kind").is_in(["passed", "failed"]))
    ct = click_through(inputs.evidence, inputs.answered, settings)
    first = (
        ev.filter(pl.col("first_attempt"))
        .group_by(activity_id="object_id")
        .agg(
            first_attempt_pass_rate=(pl.col("kind") == "passed").mean(),
            n_learners=pl.col("person_key").n_unique(),
        )
    )
    attempts = ev.group_by(activity_id="object_id").agg(
        attempts_to_pass=pl.len() / (pl.col("kind") == "passed").sum().clip(1)
    )
    clicks = (
        ct.join(inputs.evidence.select("statement_id", activity_id="object_id"), on="statement_id")
        .group_by("activity_id")
        .agg(click_through_rate=pl.col("click_through").mean())
    )
    return first.join(attempts, on="activity_id", how="left").join(
        clicks, on="activity_id", how="left"
    )


def _linkage_tables(inputs: Inputs, series: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The linkage on the validated crosswalk, and the ``model_warnings`` it raised."""
    crosswalk = resolve_crosswalk(
        inputs["category_competency"], inputs["competencies"], inputs["incidents"]
    )
    found = list(crosswalk.warnings)
    if inputs["census"].is_empty():
        found.insert(0, ModelWarning("no_census", "warning", NO_CENSUS[0].upper() + NO_CENSUS[1:]))
    return {
        "incident_rates": incident_rates(
            inputs["incidents"], inputs["census"], inputs["departments"]
        ),
        "linkage": linkage(inputs["incidents"], inputs["census"], series, crosswalk.pairs),
        "model_warnings": warnings_frame(found),
    }


def compute(
    inputs: Inputs, as_of: date, settings: ModelSettings, flag_settings: FlagSettings
) -> tuple[dict[str, pl.DataFrame], dict[str, float]]:
    """Every output table, computed in memory; and the seconds per stage."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    cal = calibrate(inputs.evidence, inputs["competencies"], settings, as_of=as_of)
    half_lives = cal.select("competency_id", "half_life_days", "half_life_se_log")
    timings["calibrate"] = time.perf_counter() - started
    ends = month_ends(as_of, max(flag_settings.window_months + 6, 18))
    series = monthly_series(inputs, ends, settings, half_lives)
    timings["series"] = time.perf_counter() - started - sum(timings.values())
    dues = inputs_dues(inputs, as_of)
    flags = compute_flags(
        series, inputs["competencies"], inputs["protocol_changes"], flag_settings, dues=dues
    )
    timings["flags"] = time.perf_counter() - started - sum(timings.values())
    status, ready, _ = month_cell(inputs, as_of, settings, half_lives)
    census = model_census(inputs["census"])
    tables = {
        "person_competency_status": _person_status(status, ready),
        "dept_competency_month": _dept_month(series, flags),
        "flags": flags,
        "cleared": _cleared(inputs, status, as_of),
        "department_readiness": department_readiness(ready, inputs["staff"], census),
        "forecast": forecast(
            as_of, status, ready, inputs["staff"], inputs["protocol_changes"], census, settings
        ),
        **_linkage_tables(inputs, series),
        "activity_quality": _activity_quality(inputs, settings),
        "item_quality": item_quality(inputs.statements, inputs["activity_competency"]),
        "half_life_calibration": cal,
    }
    timings["rest"] = time.perf_counter() - started - sum(timings.values())
    return tables, timings


def write_tables(conn: Connection, tables: dict[str, pl.DataFrame], as_of: date) -> None:
    """Replace every output table and append the run to ``model_runs``."""
    for name, df in tables.items():
        conn.register("model_out", df.to_arrow())
        try:
            conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM model_out")
        finally:
            conn.unregister("model_out")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS model_runs (as_of DATE, ran_at TIMESTAMPTZ, seconds DOUBLE)"
    )


REQUIRED_INPUTS = ("staff", "role_requirements", "competencies")


def run_models(
    warehouse: Warehouse,
    as_of: date | None = None,
    settings: ModelSettings | None = None,
    flag_settings: FlagSettings | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunSummary:
    """Compute everything as of ``as_of`` (default: today, UTC) and publish it atomically."""
    as_of = as_of or datetime.now(UTC).date()
    settings = settings or ModelSettings()
    flag_settings = flag_settings or FlagSettings()
    started = time.perf_counter()
    with warehouse.read() as conn:
        inputs = read_inputs(conn, as_of, settings)
    missing = [k for k in REQUIRED_INPUTS if inputs.tables[k].height == 0]
    if missing:
        raise Conflict(
            f"nothing to model yet: import {', '.join(missing)} first",
            [FieldError(k, "missing_input", f"the {k} table is empty") for k in missing],
        )
    step = progress or (lambda _n: None)
    step(1)
    # The models' matrices are tiny: BLAS threads only spin-wait between calls, and on the
    # 2-core demo machine they burned 3x the CPU of the run itself (35 s vs 9 s of CPU).
    with threadpool_limits(limits=1, user_api="blas"):
        tables, timings = compute(inputs, as_of, settings, flag_settings)
    step(1)
    with warehouse.write() as conn:
        write_tables(conn, tables, as_of)
        seconds = time.perf_counter() - started
        conn.execute("INSERT INTO model_runs VALUES (?, ?, ?)", [as_of, datetime.now(UTC), seconds])
    step(1)
    summary = RunSummary(as_of, {k: v.height for k, v in tables.items()}, seconds=timings)
    summary.warnings = tables["model_warnings"].to_dicts()
    latest = tables["flags"].filter(pl.col("month") == as_of.replace(day=1))
    summary.flags = dict(latest.group_by("flag").len().iter_rows()) if latest.height else {}
    summary.seconds["total"] = time.perf_counter() - started
    return summary
