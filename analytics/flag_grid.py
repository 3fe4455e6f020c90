"""The department x competency x month grid the flags read, and its statistics (vectorised).

``Grid`` holds one (cells x months) array per count of ``analytics.monthly.monthly_series``.
``low_limits`` gives each cell-month the lower 99.8 % funnel limit of its competency's
departments that month (raw established-staff rates, additive over-dispersion);
``decline_chart`` runs the binomial CUSUM on the monthly lapses among renewals due against a
fixed Phase I baseline and returns its per-month p-values, excess lapses and run lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from numpy.typing import NDArray

from analytics.stats.cusum import Baseline, cusum_paths, cusum_pvalues
from analytics.stats.funnel import beta_binomial_lower, random_effects_tau2

GROUP = ["department_id", "competency_id"]
COUNTS = (
    "n_required",
    "n_established",
    "n_compliant",
    "n_onboarding",
    "n_expired",
    "n_failed",
    "n_overdue",
    "n_update_due",
    "n_due",
    "n_lapsed",
)
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Grid:
    """Counts per (cell, month); ``present`` marks the cell-months the series has."""

    cells: list[tuple[str, str]]
    months: list[date]
    counts: dict[str, FloatArray]
    present: NDArray[np.bool_]
    persons: dict[tuple[int, int], list[str]]

    def rate(self) -> FloatArray:
        """Compliance among established staff (NaN where there are none)."""
        n, x = self.counts["n_established"], self.counts["n_compliant"]
        return np.asarray(np.divide(x, n, out=np.full(n.shape, np.nan), where=n > 0), dtype=float)

    def competency_index(self) -> NDArray[np.int64]:
        """Per cell, the index of its competency among the sorted competency ids."""
        comps = sorted({c for _, c in self.cells})
        pos = {c: i for i, c in enumerate(comps)}
        return np.asarray([pos[c] for _, c in self.cells], dtype=np.int64)


def build_grid(series: pl.DataFrame) -> Grid:
    """Pivot the month-end series into (cells x months) arrays (missing cell-months are 0)."""
    s = series
    if "n_established" not in s.columns:
        s = s.with_columns(n_established=pl.col("n_required") - pl.col("n_onboarding").fill_null(0))
    for col in COUNTS:
        if col not in s.columns:
            s = s.with_columns(pl.lit(0, pl.Int64).alias(col))
    cells_df = s.select(GROUP).unique().sort(GROUP).with_row_index("ci")
    months = sorted(set(s["month"].to_list()))
    pos = pl.DataFrame({"month": months, "mi": list(range(len(months)))}).cast({"mi": pl.UInt32})
    s = s.join(cells_df, on=GROUP).join(pos, on="month")
    ci, mi = s["ci"].to_numpy(), s["mi"].to_numpy()
    shape = (cells_df.height, len(months))
    counts = {}
    for col in COUNTS:
        arr = np.zeros(shape)
        arr[ci, mi] = s[col].fill_null(0).to_numpy().astype(float)
        counts[col] = arr
    present = np.zeros(shape, dtype=bool)
    present[ci, mi] = True
    persons: dict[tuple[int, int], list[str]] = {}
    if "persons" in s.columns:
        for c, m, p in zip(ci, mi, s["persons"].to_list(), strict=True):
            persons[(int(c), int(m))] = list(p or [])
    cells = [(d, c) for d, c in cells_df.select(GROUP).iter_rows()]
    return Grid(cells, months, counts, present, persons)


def eligible(grid: Grid, min_n: int, min_months: int, window: int) -> NDArray[np.bool_]:
    """Cell-months with >= ``min_n`` established staff in >= ``min_months`` of the window."""
    ok = (grid.counts["n_established"] >= min_n).astype(float)
    cum = np.cumsum(np.pad(ok, ((0, 0), (1, 0))), axis=1)
    t = np.arange(ok.shape[1])
    start = np.maximum(0, t - window + 1)
    in_window = cum[:, t + 1] - cum[:, start]
    return np.asarray(in_window >= min_months)


def low_limits(grid: Grid, tail: float) -> tuple[FloatArray, FloatArray]:
    """(lower funnel limit, peer rate) per cell-month: funnel within each competency-month.

    The target is the competency's pooled established-staff rate that month; over-dispersion
    is additive (``random_effects_tau2``), so a large unit is not held to a binomial limit
    that real between-unit variation would cross; the limit is the exact beta-binomial
    ``tail`` quantile (``beta_binomial_lower``). A cell is LOW when its rate is below it.
    """
    n, x = grid.counts["n_established"], grid.counts["n_compliant"]
    rate = grid.rate()
    comp = grid.competency_index()
    lower = np.full(n.shape, np.nan)
    peer = np.full(n.shape, np.nan)
    for k in np.unique(comp):
        rows = comp == k
        for t in range(n.shape[1]):
            nn, xx = n[rows, t], x[rows, t]
            if nn.sum() <= 0:
                continue
            p0 = float(np.clip(xx.sum() / nn.sum(), 0.001, 0.999))
            tau2 = random_effects_tau2(rate[rows, t], nn, p0)
            lower[rows, t] = beta_binomial_lower(nn, p0, tau2, tail)
            peer[rows, t] = p0
    return lower, peer


@dataclass(frozen=True)
class DeclineChart:
    """CUSUM of lapses among renewals due, per (cell, month); zeros before the chart starts."""

    p0: FloatArray
    cusum: FloatArray
    excess: FloatArray
    run_months: NDArray[np.int64]
    pvalue: FloatArray


def decline_chart(
    grid: Grid,
    baseline_months: int,
    odds_ratio: float,
    prior_strength: float,
    reps: int,
    material: FloatArray,
) -> DeclineChart:
    """Run the lapse CUSUM from month ``baseline_months`` on, with a fixed Phase I baseline.

    Phase I is the series' first ``baseline_months`` months: the cell's due and lapsed counts,
    shrunk towards its competency's pooled Phase I lapse rate with ``prior_strength`` pseudo
    renewals. p-values (bootstrap, see ``cusum_pvalues``) are computed only for cells whose
    run reaches ``material`` excess lapses in some month; the others get 1 (conservative).
    """
    due, lapsed = grid.counts["n_due"], grid.counts["n_lapsed"]
    b = min(baseline_months, due.shape[1])
    comp = grid.competency_index()
    bd, bl = due[:, :b].sum(axis=1), lapsed[:, :b].sum(axis=1)
    cd = np.bincount(comp, weights=bd)
    cl = np.bincount(comp, weights=bl)
    prior = ((cl + 0.5) / (cd + 1.0))[comp]
    base = Baseline(bd, bl, prior, prior_strength)
    p0 = base.p0()
    shape = due.shape
    s, e = np.zeros(shape), np.zeros(shape)
    s[:, b:], e[:, b:] = cusum_paths(due[:, b:], lapsed[:, b:], p0, odds_ratio)
    run = np.zeros(shape, dtype=np.int64)
    for t in range(b, shape[1]):
        run[:, t] = np.where(s[:, t] > 0, run[:, t - 1] + 1, 0)
    pvalue = np.ones(shape)
    cand = np.flatnonzero(((e >= material) & (s > 0)).any(axis=1))
    if len(cand) and b < shape[1]:
        sub = Baseline(bd[cand], bl[cand], prior[cand], prior_strength)
        pvalue[cand, b:] = cusum_pvalues(
            sub, due[cand, b:], s[cand, b:], odds_ratio, reps=reps, seed=0
        )
    return DeclineChart(p0, s, e, run, pvalue)
