"""The department x competency x month grid the flags read, and its statistics (vectorised).

``Grid`` holds one (cells x months) array per count of ``analytics.monthly.monthly_series``.
``low_limits`` gives each cell-month its established-staff rate over the last months and the
lower 99.8 % funnel limit of its competency's departments over the same months (raw rates,
additive over-dispersion). DECLINING is in ``analytics.flags.decline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from numpy.typing import NDArray

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


def rolling_sum(a: FloatArray, months: int) -> FloatArray:
    """Sum of each cell's last ``months`` months (fewer at the start of the series)."""
    cum = np.cumsum(np.pad(a, ((0, 0), (1, 0))), axis=1)
    t = np.arange(a.shape[1])
    return np.asarray(cum[:, t + 1] - cum[:, np.maximum(0, t - months + 1)], dtype=float)


def low_limits(
    grid: Grid, tail: float, months: int = 1
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(rate, lower funnel limit, peer rate) per cell-month, over the last ``months`` months.

    Established and compliant staff are summed over the cell's last ``months`` months: a
    small unit's transient swing averages out, a chronic deficit does not (Spiegelhalter 2005
    recommends aggregating periods). The binomial size is the unit's *average* established
    headcount over those months, not its person-months (a standing headcount is not a fresh
    sample each month). Each unit is judged against its *peers*, the competency's other
    departments (leave-one-out): their pooled rate is the target and the additive
    over-dispersion (``random_effects_tau2``) is estimated on their aggregates, so a unit's
    own deficit never widens its own limit. The limit is the exact beta-binomial ``tail``
    quantile (``beta_binomial_lower``).
    A cell is LOW when its aggregated rate is below it.
    """
    pm = rolling_sum(grid.counts["n_established"], months)
    x = rolling_sum(grid.counts["n_compliant"], months)
    rate = np.asarray(np.divide(x, pm, out=np.full(pm.shape, np.nan), where=pm > 0), dtype=float)
    # a standing headcount is not a fresh sample each month: the binomial size is the
    # unit's average established headcount over the months, not its person-months
    span = np.minimum(np.arange(pm.shape[1]) + 1, months)[None, :]
    n = np.round(pm / span)
    comp = grid.competency_index()
    lower = np.full(n.shape, np.nan)
    peer = np.full(n.shape, np.nan)
    for k in np.unique(comp):
        rows = np.flatnonzero(comp == k)
        for t in range(n.shape[1]):
            for i in rows[n[rows, t] > 0]:
                others = rows[(rows != i) & (n[rows, t] > 0)]
                if not len(others):
                    continue
                nn = n[others, t]
                p0 = float(np.clip(x[others, t].sum() / pm[others, t].sum(), 0.001, 0.999))
                tau2 = random_effects_tau2(rate[others, t], nn, p0)
                lower[i, t] = beta_binomial_lower(n[[i], t], p0, tau2, tail)[0]
                peer[i, t] = p0
    return rate, lower, peer
