"""Readiness flags per department x competency x month (ANALYTICS.md §7).

Input: the month-end series of ``analytics.monthly.monthly_series`` (n_required, n_compliant
and the status counts per cell and month). For each evaluated month the last ``window_months``
months of a cell decide its flag:

* **INSUFFICIENT_DATA** unless n >= ``min_n`` required staff in >= ``min_months`` of them;
* **LOW**: the beta-binomial shrunken compliance below the 99.8 % funnel limit of the
  competency across departments (over-dispersion adjusted);
* **DECLINING**: a statistical signal -- the lower EWMA (baseline = pooled rate of the window's
  first months) signals on the month, or Mann-Kendall decreasing with BH q < ``fdr_q`` across
  all eligible cells of the month and Sen's slope <= ``-slope_pp`` per month -- on a material
  lapse: at least ``min_excess`` more established staff out of compliance (expired, in grace,
  overdue or due an update; new hires still onboarding do not count) than the baseline rate
  predicts. A hiring wave is shown in the decomposition, not as a decline of the unit's
  readiness, and one or two late renewals never page a quality leader;
* **PRIORITY**: LOW and DECLINING, or DECLINING on a criticality-3 competency;
* **UPDATE_IN_PROGRESS**: an invalidating protocol change inside the window explains the dip
  (shown instead of DECLINING/LOW/PRIORITY while staff are due to retrain or the cell would
  be flagged);
* **OK** otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from analytics.stats.ewma import ewma_lower
from analytics.stats.funnel import is_low, overdispersion
from analytics.stats.shrinkage import shrink_proportions
from analytics.stats.trend import bh_qvalues, mann_kendall, sens_slope

GROUP = ["department_id", "competency_id"]
FLAGS = ("PRIORITY", "DECLINING", "LOW", "UPDATE_IN_PROGRESS", "INSUFFICIENT_DATA", "OK")


@dataclass(frozen=True)
class FlagSettings:
    """Thresholds of the flag rules (documented LRS_FLAG_* settings)."""

    lam: float = 0.2
    ewma_false_alarm: float = 0.01
    ewma_reps: int = 2000
    baseline_months: int = 6
    fdr_q: float = 0.10
    slope_pp: float = 1.0
    min_n: int = 5
    min_months: int = 6
    window_months: int = 12
    funnel_level_z: float = 3.090
    min_excess: int = 3

    def __post_init__(self) -> None:
        """Reject meaningless thresholds."""
        if not 0 < self.lam <= 1 or not 0 < self.fdr_q < 1 or self.slope_pp < 0:
            raise ValueError("need 0 < lam <= 1, 0 < fdr_q < 1, slope_pp >= 0")
        if not 0 < self.ewma_false_alarm < 1 or self.min_excess < 0:
            raise ValueError("need 0 < ewma_false_alarm < 1 and min_excess >= 0")
        if not 3 <= self.min_months <= self.window_months or self.min_n < 1:
            raise ValueError("need 3 <= min_months <= window_months and min_n >= 1")


@dataclass(frozen=True)
class _Trend:
    p: float
    slope: float
    low: float
    high: float
    ewma: float | None
    lcl: float | None
    ewma_signal: bool
    baseline: float


def _trend(n: np.ndarray, x: np.ndarray, settings: FlagSettings) -> _Trend:
    rates = np.divide(x, n, out=np.full(len(n), np.nan), where=n > 0)
    base = min(settings.baseline_months, max(3, len(n) - 3))
    # baseline: pooled rate of the first months, with one pseudo-failure and one pseudo-success
    # so a perfect baseline (100 %) does not make every single miss a signal
    p0 = float((x[:base].sum() + 1) / (n[:base].sum() + 2)) if n[:base].sum() > 0 else np.nan
    mk = mann_kendall(rates)
    sen = sens_slope(rates[np.isfinite(rates)])
    ewma = lcl = None
    signal = False
    if np.isfinite(p0) and len(n) > base:
        chart = ewma_lower(
            x[base:],
            n[base:],
            p0,
            lam=settings.lam,
            false_alarm=settings.ewma_false_alarm,
            reps=settings.ewma_reps,
        )
        ewma, lcl = float(chart.path[-1]), float(chart.lower[-1])
        signal = bool(chart.signals[-1])
    return _Trend(mk.p_decreasing, sen.slope, sen.low, sen.high, ewma, lcl, signal, p0)


def _low(cells: pl.DataFrame) -> dict[tuple[str, str], tuple[bool, float, float, float]]:
    """Shrunken current compliance and LOW per cell (funnel within each competency)."""
    out: dict[tuple[str, str], tuple[bool, float, float, float]] = {}
    for comp in cells.partition_by("competency_id"):
        n = comp["n_required"].to_numpy().astype(float)
        x = comp["n_compliant"].to_numpy().astype(float)
        shrunk = shrink_proportions(x, n)
        p0 = float(np.clip(x.sum() / n.sum(), 0.001, 0.999)) if n.sum() else 0.999
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = overdispersion(shrunk.estimate, n, p0) if (n > 0).sum() > 2 else 1.0
        for i, key in enumerate(zip(comp["department_id"], comp["competency_id"], strict=True)):
            low = bool(n[i] > 0 and is_low(float(shrunk.estimate[i]), int(n[i]), p0, phi))
            est, lo, hi = (float(shrunk.estimate[i]), float(shrunk.low[i]), float(shrunk.high[i]))
            out[key] = (low, est, lo, hi)
    return out


def decomposition(first: dict[str, Any], last: dict[str, Any]) -> dict[str, int]:
    """Why compliance dropped between two months of a cell (counts of required staff)."""
    before = set(first["persons"] or [])
    after = set(last["persons"] or [])
    return {
        "expiries": int(last["n_expired"] or 0),
        "failed_assessments": int(last["n_overdue"] or 0),
        "new_hires_onboarding": int(last["n_onboarding"] or 0),
        "protocol_invalidation": int(last["n_update_due"] or 0),
        "turnover": len(before - after),
    }


def excess_lapsed(cur: dict[str, Any], baseline: float) -> int:
    """Established staff out of compliance beyond what the baseline rate predicts.

    Counts the required staff of the month who are not compliant and not onboarding (new hires
    inside their first due period), less ``round((1 - baseline) * n_required)``.
    """
    n = int(cur["n_required"] or 0)
    lapsed = n - int(cur["n_compliant"] or 0) - int(cur["n_onboarding"] or 0)
    return lapsed - round((1 - baseline) * n)


def _changes_in(changes: pl.DataFrame, start: date, end: date) -> set[str]:
    if changes.is_empty():
        return set()
    inv = changes.filter(
        pl.col("invalidates_prior").fill_null(False)
        & (pl.col("change_date") > start)
        & (pl.col("change_date") <= end)
    )
    return set(inv["competency_id"].to_list())


def flags_for_month(
    series: pl.DataFrame,
    month: date,
    criticality: dict[str, float],
    changes: pl.DataFrame,
    settings: FlagSettings,
) -> list[dict[str, Any]]:
    """One flag row per department x competency for the month starting ``month``."""
    window = series.filter(pl.col("month") <= month).sort("month")
    months = sorted(set(window["month"].to_list()))[-settings.window_months :]
    window = window.filter(pl.col("month").is_in(months))
    current = window.filter(pl.col("month") == month)
    if current.is_empty():
        return []
    lows = _low(current)
    rows, trends = [], []
    for cell in window.partition_by(GROUP, maintain_order=True):
        cur = cell.filter(pl.col("month") == month)
        if cur.is_empty():
            continue
        n = cell["n_required"].to_numpy().astype(float)
        x = cell["n_compliant"].to_numpy().astype(float)
        eligible = int((n >= settings.min_n).sum()) >= settings.min_months
        trend = _trend(n, x, settings) if eligible else None
        rows.append((cell, cur.row(0, named=True), eligible, trend))
        trends.append(trend.p if trend else np.nan)
    qvals = bh_qvalues(np.asarray(trends, dtype=float))
    changed = _changes_in(changes, months[0], month.replace(day=28))
    return [
        _flag_row(cell, cur, eligible, trend, float(q), lows, criticality, changed, settings)
        for (cell, cur, eligible, trend), q in zip(rows, qvals, strict=True)
    ]


def _flag_row(
    cell: pl.DataFrame,
    cur: dict[str, Any],
    eligible: bool,
    trend: _Trend | None,
    q: float,
    lows: dict[tuple[str, str], tuple[bool, float, float, float]],
    criticality: dict[str, float],
    changed: set[str],
    settings: FlagSettings,
) -> dict[str, Any]:
    key = (cur["department_id"], cur["competency_id"])
    low, shrunk, _, _ = lows[key]
    first = cell.row(0, named=True)
    decomposition_ = decomposition(first, cur)
    flag, method = "OK", "none"
    excess = None
    if not eligible or trend is None:
        flag, method = "INSUFFICIENT_DATA", "eligibility"
    else:
        excess = excess_lapsed(cur, trend.baseline)
        material = excess >= settings.min_excess
        mk = q < settings.fdr_q and trend.slope <= -settings.slope_pp / 100
        declining = material and (trend.ewma_signal or mk)
        method = (
            "+".join(
                m
                for m, on in (("ewma", trend.ewma_signal), ("mann_kendall_bh", mk), ("funnel", low))
                if on
            )
            or "none"
        )
        if declining and (low or criticality.get(key[1], 0) >= 3):
            flag = "PRIORITY"
        elif declining:
            flag = "DECLINING"
        elif low:
            flag = "LOW"
        if key[1] in changed and (flag != "OK" or (cur["n_update_due"] or 0) > 0):
            flag, method = "UPDATE_IN_PROGRESS", "protocol_change"
    current = cur["compliance_rate"]
    text = _text(flag, key, trend, current, excess)
    return {
        "department_id": key[0],
        "competency_id": key[1],
        "month": cur["month"],
        "flag": flag,
        "method": method,
        "baseline": trend.baseline if trend else None,
        "current": current,
        "current_shrunk": shrunk,
        "slope": trend.slope if trend else None,
        "slope_ci_low": trend.low if trend else None,
        "slope_ci_high": trend.high if trend else None,
        "p_value": trend.p if trend else None,
        "q_value": None if np.isnan(q) else q,
        "ewma": trend.ewma if trend else None,
        "ewma_lcl": trend.lcl if trend else None,
        "n": int(cur["n_required"]),
        "explanation": json.dumps(
            {"decomposition": decomposition_, "excess_lapsed": excess, "text": text}
        ),
    }


def _text(
    flag: str,
    key: tuple[str, str],
    trend: _Trend | None,
    current: float | None,
    excess: int | None = None,
) -> str:
    if flag == "INSUFFICIENT_DATA":
        return f"{key[0]} / {key[1]}: too few required staff to judge (grey, not a colour)"
    if trend is None or current is None:
        return ""
    return (
        f"{key[0]} / {key[1]}: compliance {current:.0%} against a baseline of "
        f"{trend.baseline:.0%}, Sen slope {trend.slope * 100:+.1f} pp/month, "
        f"{excess or 0:+d} established staff lapsed against the baseline"
    )


def compute_flags(
    series: pl.DataFrame,
    competencies: pl.DataFrame,
    changes: pl.DataFrame,
    settings: FlagSettings,
    months: list[date] | None = None,
) -> pl.DataFrame:
    """Flags for each month in ``months`` (default: every month with enough history)."""
    crit = dict(
        zip(
            competencies["competency_id"].to_list(),
            competencies["criticality"].fill_null(0).to_list(),
            strict=True,
        )
    )
    all_months = sorted(set(series["month"].to_list()))
    todo = months or all_months[settings.min_months - 1 :]
    rows = [r for m in todo for r in flags_for_month(series, m, crit, changes, settings)]
    return pl.DataFrame(rows, schema_overrides={"month": pl.Date}, infer_schema_length=None)
