"""Compliance and readiness 30/60/90 days ahead with no new training, and "time to red".

Assumptions (no new training): a compliant pair stays compliant through its ``expires_on`` and
drops the day after; a non-compliant pair stays non-compliant; a known future invalidating
protocol change (change_date after as_of) drops every pair of its competency on that day;
staff with a known ``end_date`` leave the denominator the day after it; readiness decays as
r(t + k) = r(t) * 2^(-k / h) times the carryover of known future protocol changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from analytics.models.compliance import COMPLIANT_STATUSES
from analytics.models.readiness import carryover_factor
from analytics.models.rollup import staff_weights
from analytics.models.settings import ModelSettings

PAIR = ["person_key", "competency_id"]
GROUP = ["department_id", "competency_id"]
_NEVER = 10**9


def _pair_events(
    as_of: date,
    status_df: pl.DataFrame,
    staff: pl.DataFrame,
    changes: pl.DataFrame,
    weights: pl.DataFrame,
) -> pl.DataFrame:
    """Per required pair: weight, compliant now, ``drop_day`` and ``leave_day`` (days ahead)."""
    future = (
        changes.filter(
            pl.col("invalidates_prior").fill_null(False) & (pl.col("change_date") > as_of)
        )
        .group_by("competency_id")
        .agg(change_day=(pl.col("change_date").min() - pl.lit(as_of)).dt.total_days())
    )
    ends = staff.select(
        "person_key",
        leave_day=((pl.col("end_date") - pl.lit(as_of)).dt.total_days() + 1).fill_null(_NEVER),
    )
    expiry = (pl.col("expires_on") - pl.lit(as_of)).dt.total_days() + 1
    return (
        status_df.filter(pl.col("required"))
        .select(*PAIR, ok=pl.col("status").is_in(COMPLIANT_STATUSES), expiry=expiry)
        .join(weights.select("person_key", "department_id", "weight"), on="person_key")
        .join(ends, on="person_key", how="left")
        .join(future, on="competency_id", how="left")
        .with_columns(
            drop_day=pl.when(pl.col("ok"))
            .then(
                pl.min_horizontal(
                    pl.col("expiry").fill_null(_NEVER), pl.col("change_day").fill_null(_NEVER)
                )
            )
            .otherwise(0),
            leave_day=pl.col("leave_day").fill_null(_NEVER),
        )
    )


def _rate_at(day: pl.Expr) -> dict[str, pl.Expr]:
    """Weighted numerator and denominator of compliance ``day`` days ahead."""
    present = pl.col("leave_day") > day
    return {
        "den": pl.col("weight").filter(present).sum(),
        "num": pl.col("weight").filter(present & (pl.col("drop_day") > day)).sum(),
    }


def time_to_red(events: pl.DataFrame, target: float, max_days: int) -> pl.DataFrame:
    """Per department x competency: first day ahead (0 = already) compliance < ``target``.

    Compliance is a step function: each pair leaves the numerator on its drop (or leave) day
    and the denominator on its leave day, so cumulative sums over event days give the rate.
    """
    w = pl.col("weight")
    start = events.group_by(GROUP).agg(
        num0=w.filter((pl.col("drop_day") > 0) & (pl.col("leave_day") > 0)).sum(),
        den0=w.filter(pl.col("leave_day") > 0).sum(),
    )
    counted = events.filter((pl.col("drop_day") > 0) & (pl.col("leave_day") > 0))
    deltas = pl.concat(
        [
            counted.select(
                *GROUP,
                day=pl.min_horizontal("drop_day", "leave_day").cast(pl.Int64),
                dnum=-w,
                dden=pl.lit(0.0),
            ),
            events.filter(pl.col("leave_day") > 0).select(
                *GROUP, day=pl.col("leave_day").cast(pl.Int64), dnum=pl.lit(0.0), dden=-w
            ),
            start.select(*GROUP, day=pl.lit(0, pl.Int64), dnum=pl.lit(0.0), dden=pl.lit(0.0)),
        ]
    ).filter(pl.col("day") <= max_days)
    steps = (
        deltas.group_by(*GROUP, "day")
        .agg(pl.col("dnum").sum(), pl.col("dden").sum())
        .sort(*GROUP, "day")
        .join(start, on=GROUP)
        .with_columns(
            num=pl.col("num0") + pl.col("dnum").cum_sum().over(GROUP),
            den=pl.col("den0") + pl.col("dden").cum_sum().over(GROUP),
        )
    )
    red = (
        steps.filter((pl.col("den") > 0) & (pl.col("num") < target * pl.col("den")))
        .group_by(GROUP)
        .agg(time_to_red_days=pl.col("day").min())
    )
    return start.select(GROUP).join(red, on=GROUP, how="left")


def forecast(
    as_of: date,
    status_df: pl.DataFrame,
    readiness_df: pl.DataFrame,
    staff: pl.DataFrame,
    protocol_changes: pl.DataFrame | None = None,
    census: pl.DataFrame | None = None,
    settings: ModelSettings | None = None,
    horizons: Sequence[int] = (30, 60, 90),
) -> pl.DataFrame:
    """Projected compliance and readiness per department x competency x horizon.

    Horizon 0 (``as_of`` itself) is included as the baseline. Columns: ``department_id,
    competency_id, horizon_days, on, n_required, compliance_rate, readiness,
    time_to_red_days, red_on`` (null when compliance stays at or above
    ``settings.target_compliance`` for ``settings.forecast_max_days``). Rates are weighted as
    in ``department_compliance`` (headcount without census).
    """
    settings = settings or ModelSettings()
    changes = protocol_changes if protocol_changes is not None else _no_changes()
    weights = staff_weights(as_of, staff, census)
    events = _pair_events(as_of, status_df, staff, changes, weights)
    decay = _readiness_frame(readiness_df, weights)
    frames = []
    for k in sorted({0, *horizons}):
        r = _rate_at(pl.lit(k))
        comp = events.group_by(GROUP).agg(
            n_required=(pl.col("leave_day") > k).sum().cast(pl.Int64),
            compliance_rate=r["num"] / r["den"],
        )
        ready = _readiness_at(as_of, decay, changes, k, settings)
        frames.append(
            comp.join(ready, on=GROUP, how="left").with_columns(
                horizon_days=pl.lit(k, pl.Int64), on=pl.lit(as_of + timedelta(days=k))
            )
        )
    red = time_to_red(events, settings.target_compliance, settings.forecast_max_days)
    out = pl.concat(frames).join(red, on=GROUP, how="left")
    out = out.with_columns(red_on=pl.lit(as_of) + pl.duration(days=pl.col("time_to_red_days")))
    cols = [*GROUP, "horizon_days", "on", "n_required", "compliance_rate", "readiness"]
    return out.select(*cols, "time_to_red_days", "red_on").sort(*GROUP, "horizon_days")


def _readiness_frame(readiness_df: pl.DataFrame, weights: pl.DataFrame) -> pl.DataFrame:
    """Required, non-waived, established rows with a readiness number, with their weights.

    As in ``department_readiness``: onboarding staff and competencies without assessment
    evidence (null readiness) are left out, so their forecast readiness is null, never 0.
    """
    rows = readiness_df.filter(
        pl.col("required")
        & ~pl.col("waived_only")
        & ~pl.col("onboarding")
        & pl.col("readiness").is_not_null()
    )
    return rows.select(
        *PAIR, "department_id", "readiness", "retention", "retention_floor", "half_life_days"
    ).join(weights.select("person_key", "weight"), on="person_key")


def _readiness_at(
    as_of: date, decay: pl.DataFrame, changes: pl.DataFrame, k: int, settings: ModelSettings
) -> pl.DataFrame:
    """Weighted mean readiness ``k`` days ahead (retention decay, future carryovers)."""
    carry = (
        changes.filter(
            (pl.col("change_date") > as_of) & (pl.col("change_date") <= as_of + timedelta(days=k))
        )
        .group_by("competency_id")
        .agg(carry=carryover_factor(settings).product())
    )
    # R = f + (R_now - f) * 2^(-k/h) k days on; readiness scales with R.
    f, now = pl.col("retention_floor"), pl.col("retention")
    later = f + (now - f) * pl.lit(2.0).pow(-k / pl.col("half_life_days"))
    scale = pl.when(now > 0).then(later / now).otherwise(0.0)
    r = pl.col("readiness") * scale * pl.col("carry")
    return (
        decay.join(carry, on="competency_id", how="left")
        .with_columns(pl.col("carry").fill_null(1.0))
        .group_by(GROUP)
        .agg(readiness=(r * pl.col("weight")).sum() / pl.col("weight").sum())
    )


def _no_changes() -> pl.DataFrame:
    """An empty protocol_changes frame."""
    return pl.DataFrame(
        schema={
            "competency_id": pl.Utf8,
            "change_date": pl.Date,
            "invalidates_prior": pl.Boolean,
            "carryover": pl.Float64,
        }
    )
