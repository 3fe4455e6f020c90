"""Incident rates and the training-incident association (ANALYTICS.md §8).

* ``incident_rates``: per department x month, harm >= moderate incidents (the primary outcome)
  and near-miss reports (a culture signal, never a safety alarm) per 1,000 patient-days, with
  a gamma-Poisson shrunken harm rate. ``harm_high`` compares the harm count with its expected
  count standardised by unit type (the unit type's harm rate over the window times the
  department-month's patient-days: an ICU is not compared with a clinic) at the exact Poisson
  99.8 % funnel limit (upper 0.999 quantile). Each figure is suppressed on its own count:
  ``harm_suppressed`` (harm < ``min_cell``), ``near_miss_suppressed`` (near misses <
  ``min_cell``); ``suppressed`` = ``harm_suppressed`` for older readers.
* ``linkage``: see :mod:`analytics.linkage_models`.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import poisson

from analytics.linkage_models import HARM, NO_CENSUS, LinkageSettings, linkage
from analytics.stats.shrinkage import shrink_rates

__all__ = ["HARM", "NO_CENSUS", "LinkageSettings", "incident_rates", "linkage"]
FUNNEL_UPPER = 0.999  # one side of a two-sided 99.8 % limit


def _counts(incidents: pl.DataFrame) -> pl.DataFrame:
    return (
        incidents.with_columns(month=pl.col("discovered_date").dt.truncate("1mo"))
        .group_by("department_id", "month")
        .agg(
            harm_events=(
                (pl.col("event_type") == "incident") & pl.col("harm_level").is_in(HARM)
            ).sum(),
            near_misses=(pl.col("event_type") == "near_miss").sum(),
        )
    )


def _unit_types(departments: pl.DataFrame | None) -> pl.DataFrame:
    if departments is None or "unit_type" not in departments.columns:
        return pl.DataFrame(schema={"department_id": pl.Utf8, "unit_type": pl.Utf8})
    return departments.select(pl.col("department_id").cast(pl.Utf8), pl.col("unit_type"))


def expected_by_unit_type(rates: pl.DataFrame) -> pl.DataFrame:
    """``harm_expected``: patient-days x the harm rate of the row's unit type over the window."""
    typed = rates.with_columns(pl.col("unit_type").fill_null("unknown"))
    per_type = typed.group_by("unit_type").agg(
        type_rate=pl.col("harm_events").sum() / pl.col("patient_days").sum().clip(1.0)
    )
    return typed.join(per_type, on="unit_type", how="left").with_columns(
        harm_expected=pl.col("patient_days") * pl.col("type_rate")
    )


def incident_rates(
    incidents: pl.DataFrame,
    census: pl.DataFrame,
    departments: pl.DataFrame | None = None,
    min_cell: int = 11,
) -> pl.DataFrame:
    """Harm and near-miss rates per department x month (rows: the census months)."""
    out = (
        census.select("department_id", "month", pl.col("patient_days").cast(pl.Float64))
        .join(_counts(incidents), on=["department_id", "month"], how="left")
        .with_columns(pl.col("harm_events", "near_misses").fill_null(0).cast(pl.Int64))
        .join(_unit_types(departments), on="department_id", how="left")
        .sort("department_id", "month")
    )
    out = expected_by_unit_type(out).sort("department_id", "month")
    pd = out["patient_days"].to_numpy()
    per = 1000.0 / np.where(pd > 0, pd, np.nan)
    shrunk = shrink_rates(out["harm_events"].to_numpy(), np.where(pd > 0, pd, 0.0), per=1000.0)
    limit = poisson.ppf(FUNNEL_UPPER, out["harm_expected"].to_numpy())
    return out.drop("type_rate").with_columns(
        harm_rate_per_1000=pl.Series(out["harm_events"].to_numpy() * per),
        near_miss_rate_per_1000=pl.Series(out["near_misses"].to_numpy() * per),
        harm_rate_shrunk=pl.Series(shrunk.estimate),
        harm_limit_998=pl.Series(limit, dtype=pl.Float64),
        harm_high=pl.Series((out["harm_events"].to_numpy() > limit) & (pd > 0)),
        harm_suppressed=pl.col("harm_events") < min_cell,
        near_miss_suppressed=pl.col("near_misses") < min_cell,
        suppressed=pl.col("harm_events") < min_cell,
    )
