"""DECLINING: the renewal-timing e-detector run per cell and month end (ANALYTICS.md §7).

For month end ``m`` of month ``t`` the monitoring window is the ``start_months`` months up to
``t`` that are after the series' first ``baseline_months`` months (Phase I); the in-control
law S0 of each competency is the Kaplan-Meier time-to-renewal of every due of that
competency (all departments pooled) dated *before* the window, followed up to
``m`` (so it never contains the dues being judged, and never follows a decline down). Each
cell's dues dated in the window (leavers' dropped) enter :func:`analytics.stats.edetector.detect`
with their state at ``m``. A competency with fewer than ``min_phase1`` such dues has no
in-control law yet, and its cells cannot read DECLINING that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from numpy.typing import NDArray

from analytics.flags.grid import Grid
from analytics.stats.edetector import PI_GRID, detect, kaplan_meier

FloatArray = NDArray[np.float64]
EPOCH = date(1970, 1, 1).toordinal()
#: Kaplan-Meier grid: from the renewal window before the due to two years after it
KM_LO, KM_HI = -90, 730


@dataclass(frozen=True)
class DeclineStats:
    """Per (cell, month): log e-detector, its start month, pi and the open-due counts."""

    log_m: FloatArray
    start: list[list[date | None]]
    pi: FloatArray
    n_dues: NDArray[np.int64]
    n_open: NDArray[np.int64]
    expected_open: FloatArray
    tested: NDArray[np.bool_]

    @property
    def excess(self) -> FloatArray:
        """Open dues beyond those expected in control."""
        return np.asarray(self.n_open - self.expected_open, dtype=float)


def add_months(month: date, k: int) -> date:
    """The first day of the month ``k`` months after ``month`` (``k`` may be negative)."""
    i = month.year * 12 + month.month - 1 + k
    return date(i // 12, i % 12 + 1, 1)


def _days(col: pl.Series) -> NDArray[np.int64]:
    """Dates as day numbers (NULL -> a far-future day)."""
    ords = [EPOCH + 10**6 if d is None else d.toordinal() for d in col.to_list()]
    return np.asarray(ords, dtype=np.int64)


@dataclass(frozen=True)
class _Dues:
    comp: NDArray[np.int64]
    cell: NDArray[np.int64]
    due: NDArray[np.int64]
    renewed: NDArray[np.int64]
    censored: NDArray[np.int64]


def _index(grid: Grid, dues: pl.DataFrame) -> tuple[_Dues, list[str]]:
    comps = sorted({c for _, c in grid.cells} | set(dues["competency_id"].to_list()))
    cpos = {c: i for i, c in enumerate(comps)}
    cells = {cell: i for i, cell in enumerate(grid.cells)}
    pairs = zip(dues["department_id"].to_list(), dues["competency_id"].to_list(), strict=True)
    cell = np.asarray([cells.get(p, -1) for p in pairs], dtype=np.int64)
    comp = np.asarray([cpos[c] for c in dues["competency_id"].to_list()], dtype=np.int64)
    d = _Dues(comp, cell, _days(dues["due"]), _days(dues["renewed"]), _days(dues["censored"]))
    return d, comps


def decline_stats(
    grid: Grid,
    dues: pl.DataFrame,
    ends: list[date],
    start_months: int,
    eps: float,
    min_phase1: int,
    baseline_months: int = 0,
) -> DeclineStats:
    """The e-detector of every cell at every month end ``ends[t]`` of ``grid.months[t]``.

    The possible start months of month ``t`` are the last ``start_months`` months, but none
    of the series' first ``baseline_months`` months (Phase I): its dues always belong to the
    in-control law. Months inside Phase I are not tested.
    """
    shape = (len(grid.cells), len(grid.months))
    out = DeclineStats(
        np.zeros(shape),
        [[None] * shape[1] for _ in range(shape[0])],
        np.zeros(shape),
        np.zeros(shape, dtype=np.int64),
        np.zeros(shape, dtype=np.int64),
        np.zeros(shape),
        np.zeros(shape, dtype=bool),
    )
    if dues.is_empty():
        return out
    d, comps = _index(grid, dues)
    comp_of_cell = np.asarray([comps.index(c) for _, c in grid.cells], dtype=np.int64)
    for t, month in enumerate(grid.months):
        first = max(t - start_months + 1, baseline_months)
        if first > t:
            continue
        starts = [add_months(month, k) for k in range(first - t, 1)]
        edges = np.asarray([s.toordinal() for s in starts], dtype=np.int64)
        _month(out, d, t, ends[t].toordinal(), edges, comp_of_cell, eps, min_phase1, starts)
    return out


def _month(
    out: DeclineStats,
    d: _Dues,
    t: int,
    m: int,
    edges: NDArray[np.int64],
    comp_of_cell: NDArray[np.int64],
    eps: float,
    min_phase1: int,
    starts: list[date],
) -> None:
    renewed = d.renewed <= m
    gone = ~renewed & (d.censored <= m)
    stop = np.where(renewed, d.renewed, np.where(gone, d.censored, m)) - d.due
    phase1 = d.due < edges[0]
    window = (d.due >= edges[0]) & (d.due <= m) & ~gone & (d.cell >= 0)
    for k in np.unique(comp_of_cell):
        base = phase1 & (d.comp == k)
        if base.sum() < min_phase1:
            continue
        s0 = kaplan_meier(stop[base], renewed[base], KM_LO, KM_HI)
        for c in np.flatnonzero(comp_of_cell == k):
            mine = window & (d.cell == c)
            j = np.searchsorted(edges, d.due[mine], side="right") - 1
            r = detect(j, renewed[mine], s0(m - d.due[mine]), len(edges), PI_GRID, eps)
            out.log_m[c, t], out.pi[c, t] = r.log_m, r.pi
            out.start[c][t] = starts[r.start] if r.start >= 0 else None
            out.n_dues[c, t], out.n_open[c, t] = r.n_dues, r.n_open
            out.expected_open[c, t] = r.expected_open
            out.tested[c, t] = True
