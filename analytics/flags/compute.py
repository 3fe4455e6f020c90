"""Readiness flags per department x competency x month (ANALYTICS.md §7).

Input: the month-end series of ``analytics.monthly.monthly_series``. Rates use established
staff (required staff less new hires still onboarding, who are counted apart). Each evaluated
month of a cell gets one flag:

* **INSUFFICIENT_DATA** unless >= ``min_n`` established staff in >= ``min_months`` of the
  last ``window_months`` months (grey, never a colour);
* **LOW**: the established-staff rate of the last ``low_months`` months below the lower
  99.8 % funnel limit of the competency's *other* departments over the same months, with
  additive over-dispersion (Spiegelhalter 2005) and the unit's average headcount as its size
  (``analytics.flags.grid.low_limits``); shrunken rates are for display and ranking only;
* **DECLINING**: the renewal-timing e-detector (``analytics.flags.decline``,
  ``analytics.stats.edetector``): each renewal due of an established person, renewed or still
  open at its age, against the competency's pooled Kaplan-Meier renewal law from dues before
  the judged months; log M >= log ``alarm_e`` (an in-control cell alarms at most once per
  ``alarm_e`` months on average) and the excess of open dues is material:
  >= max(``min_excess``, ``min_excess_share`` x established staff);
* **PRIORITY**: LOW and DECLINING, or DECLINING on a criticality-3 competency;
* **UPDATE_IN_PROGRESS**: an invalidating protocol change inside the window (any day of the
  month, month end inclusive) with staff due to retrain, or explaining a flag;
* **OK** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from analytics.flags.decline import DeclineStats, decline_stats
from analytics.flags.grid import Grid, build_grid, eligible, low_limits
from analytics.flags.text import explanation
from analytics.renewals import DUES_SCHEMA
from analytics.stats.trend import sen_slopes

GROUP = ["department_id", "competency_id"]
DETECTOR = "renewal_e_detector"
FLAGS = ("PRIORITY", "DECLINING", "LOW", "UPDATE_IN_PROGRESS", "INSUFFICIENT_DATA", "OK")


@dataclass(frozen=True)
class FlagSettings:
    """Thresholds of the flag rules (documented LRS_FLAG_* settings)."""

    lam: float = 0.2
    baseline_months: int = 6
    alarm_e: float = 1200.0
    start_months: int = 12
    s0_floor: float = 0.01
    min_phase1: int = 30
    low_months: int = 6
    min_n: int = 5
    min_months: int = 6
    window_months: int = 12
    funnel_tail: float = 0.001
    min_excess: int = 2
    min_excess_share: float = 0.10

    def __post_init__(self) -> None:
        """Reject meaningless thresholds."""
        if not 0 < self.lam <= 1 or self.alarm_e <= 1 or not 0 < self.s0_floor < 1:
            raise ValueError("need 0 < lam <= 1, alarm_e > 1 and 0 < s0_floor < 1")
        if self.min_excess < 0 or not 0 <= self.min_excess_share < 1:
            raise ValueError("need min_excess >= 0 and 0 <= min_excess_share < 1")
        if not 3 <= self.min_months <= self.window_months or self.min_n < 1:
            raise ValueError("need 3 <= min_months <= window_months and min_n >= 1")
        if self.baseline_months < 1 or self.start_months < 1 or self.low_months < 1:
            raise ValueError("need baseline_months, start_months and low_months >= 1")


def month_end(month: date) -> date:
    """The last day of the month starting ``month``."""
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def changes_in(changes: pl.DataFrame, start: date, end: date) -> dict[str, date]:
    """Competencies with an invalidating protocol change dated in [start, end] (latest date)."""
    if changes.is_empty():
        return {}
    inv = changes.filter(
        pl.col("invalidates_prior").fill_null(False)
        & (pl.col("change_date") >= start)
        & (pl.col("change_date") <= end)
    )
    latest = inv.group_by("competency_id").agg(pl.col("change_date").max())
    return dict(latest.iter_rows())


def decomposition(grid: Grid, c: int, t: int, first: int) -> dict[str, int]:
    """Why compliance is short in month ``t`` of cell ``c`` (counts of required staff)."""
    k = grid.counts
    before = set(grid.persons.get((c, first), []))
    after = set(grid.persons.get((c, t), []))
    return {
        "expiries": int(k["n_expired"][c, t]),
        "failed_assessments": int(k["n_failed"][c, t]),
        "never_passed_overdue": int(k["n_overdue"][c, t]),
        "new_hires_onboarding": int(k["n_onboarding"][c, t]),
        "protocol_invalidation": int(k["n_update_due"][c, t]),
        "turnover": len(before - after),
    }


def _ewma(rate: np.ndarray, lam: float) -> np.ndarray:
    """Display EWMA of each cell's established rate (NaN months carry the previous value)."""
    out = np.full(rate.shape, np.nan)
    z = rate[:, 0].copy()
    for t in range(rate.shape[1]):
        r = rate[:, t]
        z = np.where(np.isnan(z), r, np.where(np.isnan(r), z, lam * r + (1 - lam) * z))
        out[:, t] = z
    return out


def compute_flags(
    series: pl.DataFrame,
    competencies: pl.DataFrame,
    changes: pl.DataFrame,
    settings: FlagSettings,
    months: list[date] | None = None,
    dues: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Flags for each month in ``months`` (default: every month from the last baseline month).

    ``dues`` (``analytics.renewals.renewal_dues``) feeds DECLINING; without it no cell can
    read DECLINING (the other flags are unaffected).
    """
    crit = dict(
        zip(
            competencies["competency_id"].to_list(),
            competencies["criticality"].fill_null(0).to_list(),
            strict=True,
        )
    )
    if series.is_empty():
        return pl.DataFrame()
    grid = build_grid(series)
    s = settings
    n_est = grid.counts["n_established"]
    material = np.maximum(s.min_excess, s.min_excess_share * n_est)
    ok = eligible(grid, s.min_n, s.min_months, s.window_months)
    low_rate, lower, peer = low_limits(grid, s.funnel_tail, s.low_months)
    ends = _month_ends(series, grid.months)
    chart = decline_stats(
        grid,
        dues if dues is not None else _NO_DUES,
        ends,
        s.start_months,
        s.s0_floor,
        s.min_phase1,
        s.baseline_months,
    )
    rate = grid.rate()
    low = ok & (n_est > 0) & (low_rate < lower)
    declining = ok & chart.tested & (chart.log_m >= np.log(s.alarm_e)) & (chart.excess >= material)
    start = min(max(s.min_months, s.baseline_months), len(grid.months)) - 1
    todo = set(months) if months else set(grid.months[start:])
    ewma = _ewma(rate, s.lam)
    base_n = n_est[:, : s.baseline_months].sum(axis=1)
    base_x = grid.counts["n_compliant"][:, : s.baseline_months].sum(axis=1)
    base_rate = np.divide(base_x, base_n, out=np.full(len(base_n), np.nan), where=base_n > 0)
    arrays = _Arrays(rate, low, lower, peer, ok, ewma, base_rate, low_rate, declining)
    rows: list[dict[str, Any]] = []
    for t, month in enumerate(grid.months):
        if month not in todo:
            continue
        first = max(0, t - s.window_months + 1)
        slopes = sen_slopes(rate[:, first : t + 1])
        changed = changes_in(changes, grid.months[first], month_end(month))
        ctx = _Month(t, first, month, slopes, changed, float(np.log(s.alarm_e)), s.low_months)
        for c in np.flatnonzero(grid.present[:, t]):
            rows.append(_row(grid, int(c), ctx, chart, arrays, crit))
    return pl.DataFrame(
        rows,
        schema_overrides={"month": pl.Date, "ewma_lcl": pl.Float64, "q_value": pl.Float64},
        infer_schema_length=None,
    )


_NO_DUES = pl.DataFrame(schema=DUES_SCHEMA)


def _month_ends(series: pl.DataFrame, months: list[date]) -> list[date]:
    """The evaluation day of each month: the series' ``month_end`` (a mid-month as-of) or the
    calendar month end."""
    if "month_end" not in series.columns:
        return [month_end(m) for m in months]
    given = dict(series.select("month", "month_end").unique("month").iter_rows())
    return [given.get(m) or month_end(m) for m in months]


@dataclass(frozen=True)
class _Arrays:
    rate: np.ndarray
    low: np.ndarray
    lower: np.ndarray
    peer: np.ndarray
    ok: np.ndarray
    ewma: np.ndarray
    base_rate: np.ndarray
    low_rate: np.ndarray
    declining: np.ndarray


@dataclass(frozen=True)
class _Month:
    t: int
    first: int
    month: date
    slopes: np.ndarray
    changed: dict[str, date]
    log_c: float
    low_months: int


def _flag(low: bool, declining: bool, critical: bool) -> tuple[str, str]:
    if declining and (low or critical):
        return "PRIORITY", f"{DETECTOR}+funnel" if low else DETECTOR
    if declining:
        return "DECLINING", DETECTOR
    if low:
        return "LOW", "funnel_random_effects_6m"
    return "OK", "none"


def _row(
    grid: Grid,
    c: int,
    m: _Month,
    chart: DeclineStats,
    a: _Arrays,
    crit: dict[str, float],
) -> dict[str, Any]:
    dept, comp = grid.cells[c]
    t = m.t
    k = grid.counts
    if not a.ok[c, t]:
        flag, method = "INSUFFICIENT_DATA", "eligibility"
    else:
        flag, method = _flag(bool(a.low[c, t]), bool(a.declining[c, t]), crit.get(comp, 0) >= 3)
    change = m.changed.get(comp)
    if change and a.ok[c, t] and (flag != "OK" or k["n_update_due"][c, t] > 0):
        flag, method = "UPDATE_IN_PROGRESS", "protocol_change"
    log_m = float(chart.log_m[c, t])
    since = chart.start[c][t]

    def num(v: float) -> float | None:
        return None if not np.isfinite(v) else float(v)

    facts = {
        "flag": flag,
        "department_id": dept,
        "competency_id": comp,
        "n": int(k["n_established"][c, t]),
        "n_compliant": int(k["n_compliant"][c, t]),
        "n_onboarding": int(k["n_onboarding"][c, t]),
        "current": num(a.rate[c, t]),
        "baseline": num(a.base_rate[c]),
        "low_rate": num(a.low_rate[c, t]),
        "low_months": m.low_months,
        "peer_rate": num(a.peer[c, t]),
        "low_limit": num(a.lower[c, t]),
        "due": int(k["n_due"][c, t]),
        "lapsed": int(k["n_lapsed"][c, t]),
        "decline_tested": bool(chart.tested[c, t]),
        "log_e": round(log_m, 3),
        "log_e_threshold": round(m.log_c, 3),
        "since": since.isoformat() if since else None,
        "pi": float(chart.pi[c, t]),
        "dues_since": int(chart.n_dues[c, t]),
        "open_since": int(chart.n_open[c, t]),
        "expected_open": round(float(chart.expected_open[c, t]), 1),
        "excess_lapsed": round(float(chart.excess[c, t]), 1),
        "p_value": float(min(1.0, np.exp(-log_m))),
        "change_date": change.isoformat() if change else None,
        "decomposition": decomposition(grid, c, t, m.first),
    }
    return {
        "department_id": dept,
        "competency_id": comp,
        "month": m.month,
        "flag": flag,
        "method": method,
        "baseline": facts["baseline"],
        "current": facts["current"],
        "slope": num(m.slopes[c, 0]),
        "slope_ci_low": num(m.slopes[c, 1]),
        "slope_ci_high": num(m.slopes[c, 2]),
        "p_value": facts["p_value"],
        "q_value": None,
        "cusum": facts["log_e"],
        "excess_lapsed": facts["excess_lapsed"],
        "low_limit": facts["low_limit"],
        "ewma": num(a.ewma[c, t]),
        "ewma_lcl": None,
        "n": facts["n"],
        "n_onboarding": facts["n_onboarding"],
        "explanation": explanation(facts, m.slopes[c]),
    }
