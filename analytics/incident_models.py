"""Incident rates and the training-incident association (ANALYTICS.md §8).

* ``incident_rates``: per department x month, harm >= moderate incidents (the primary outcome)
  and near-miss reports (a culture signal, never a safety alarm) per 1,000 patient-days;
  gamma-Poisson shrunken harm rate and ``harm_high`` (its 95 % lower limit above the
  hospital's rate); cells with counts under ``min_cell`` are marked ``suppressed``.
* ``linkage``: the pooled negative-binomial model (``analytics.stats.linkage.fit_linkage``) of
  each category's counts on the lagged compliance gap of its mapped competencies, IRR per
  10 pp with a 95 % CI, "association, not causation". No census: one non-estimable row that
  says so.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.stats.linkage import fit_linkage
from analytics.stats.shrinkage import shrink_rates

HARM = ("moderate", "severe", "death")
NO_CENSUS = "linkage disabled: no census (patient-days) imported, so no rates can be computed"


def _monthly_counts(incidents: pl.DataFrame) -> pl.DataFrame:
    return incidents.with_columns(month=pl.col("discovered_date").dt.truncate("1mo"))


def incident_rates(
    incidents: pl.DataFrame, census: pl.DataFrame, min_cell: int = 11
) -> pl.DataFrame:
    """Harm and near-miss rates per department x month (rows: the census months)."""
    inc = _monthly_counts(incidents)
    counts = inc.group_by("department_id", "month").agg(
        harm_events=((pl.col("event_type") == "incident") & pl.col("harm_level").is_in(HARM)).sum(),
        near_misses=(pl.col("event_type") == "near_miss").sum(),
    )
    out = (
        census.select("department_id", "month", pl.col("patient_days").cast(pl.Float64))
        .join(counts, on=["department_id", "month"], how="left")
        .with_columns(pl.col("harm_events", "near_misses").fill_null(0).cast(pl.Int64))
        .sort("department_id", "month")
    )
    pd = out["patient_days"].to_numpy()
    per = 1000.0 / np.where(pd > 0, pd, np.nan)
    shrunk = shrink_rates(out["harm_events"].to_numpy(), np.where(pd > 0, pd, 0.0), per=1000.0)
    overall = 1000.0 * float(out["harm_events"].to_numpy().sum()) / max(float(np.nansum(pd)), 1.0)
    return out.with_columns(
        harm_rate_per_1000=pl.Series(out["harm_events"].to_numpy() * per),
        near_miss_rate_per_1000=pl.Series(out["near_misses"].to_numpy() * per),
        harm_rate_shrunk=pl.Series(shrunk.estimate),
        harm_high=pl.Series(shrunk.low > overall),
        suppressed=(pl.col("harm_events") < min_cell) | (pl.col("near_misses") < min_cell),
    )


def linkage(
    incidents: pl.DataFrame,
    census: pl.DataFrame,
    series: pl.DataFrame,
    category_competency: pl.DataFrame,
    lag: int = 2,
) -> pl.DataFrame:
    """One row per mapped (competency, category) and outcome: IRR per 10 pp of lagged gap."""
    if census.is_empty():
        return pl.DataFrame(
            [_row("*", "*", "harm_moderate_plus", lag, None, NO_CENSUS)], infer_schema_length=None
        )
    inc = _monthly_counts(incidents).filter(pl.col("event_type") == "incident")
    rows = []
    for comp, cat in category_competency.select("competency_id", "category").iter_rows():
        hits = inc.filter(pl.col("categories").list.contains(cat))
        for outcome, data in (
            ("harm_moderate_plus", hits.filter(pl.col("harm_level").is_in(HARM))),
            ("all_incidents", hits),
        ):
            rows.append(_fit(comp, cat, outcome, data, census, series, lag))
    return pl.DataFrame(rows, infer_schema_length=None)


def _fit(
    comp: str,
    cat: str,
    outcome: str,
    data: pl.DataFrame,
    census: pl.DataFrame,
    series: pl.DataFrame,
    lag: int,
) -> dict[str, object]:
    counts = data.group_by("department_id", "month").agg(y=pl.len())
    gap = series.filter(pl.col("competency_id") == comp).select(
        "department_id", "month", gap=1.0 - pl.col("compliance_rate")
    )
    frame = (
        census.select("department_id", "month", "patient_days")
        .join(gap, on=["department_id", "month"], how="inner")
        .join(counts, on=["department_id", "month"], how="left")
        .with_columns(pl.col("y").fill_null(0))
    )
    if frame.is_empty():
        return _row(comp, cat, outcome, lag, None, "no department-months with the competency")
    with np.errstate(over="ignore"):  # a degenerate fit can overflow exp(CI): reported as inf
        result = fit_linkage(
            frame["y"].to_numpy(),
            frame["patient_days"].to_numpy(),
            frame["department_id"].to_numpy(),
            frame["month"].dt.strftime("%Y-%m").to_list(),
            frame["gap"].to_numpy(),
            lag=lag,
        )
    return _row(comp, cat, outcome, lag, result, result.reason or result.label)


def _row(
    comp: str, cat: str, outcome: str, lag: int, result: object, message: str
) -> dict[str, object]:
    get = (lambda k: getattr(result, k)) if result is not None else (lambda k: None)
    return {
        "competency_id": comp,
        "category": cat,
        "outcome": outcome,
        "lag_months": lag,
        "irr_per_10pp": get("irr"),
        "ci_low": get("ci_low"),
        "ci_high": get("ci_high"),
        "p_value": get("p_value"),
        "n_obs": get("n_obs") or 0,
        "n_events": get("n_events") or 0,
        "method": "negative binomial GLM, department and month effects, log patient-days offset",
        "estimable": bool(get("estimable")),
        "message": message,
    }
