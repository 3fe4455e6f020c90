"""One-sided lower EWMA chart for monthly proportions with a varying denominator.

Roberts (1959) EWMA, Lucas & Saccucci (1990) for its design. The statistic is
``z_t = lam * phat_t + (1 - lam) * z_{t-1}`` started at the in-control proportion ``p0``; its
exact in-control variance for the actual n sequence is
``V_t = (1 - lam)^2 V_{t-1} + lam^2 p0 (1 - p0) / n_t``. The lower limit is
``p0 - L sqrt(V_t)``, with one multiplier ``L`` chosen by simulation (binomial draws for the
same n sequence) so that the chance of *any* signal over the window, when nothing changed,
equals ``false_alarm``. Points with n = 0 carry the previous value and never signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

P0_FLOOR = 1e-3


@dataclass(frozen=True)
class EwmaChart:
    """An EWMA path with its per-point lower limits and the first signal (None if none)."""

    p0: float
    lam: float
    multiplier: float
    path: NDArray[np.float64]
    lower: NDArray[np.float64]
    sigma: NDArray[np.float64]
    signals: NDArray[np.bool_]
    signal_index: int | None


def ewma_sigma(
    n: Sequence[int] | NDArray[np.int64], p0: float, lam: float = 0.2
) -> NDArray[np.float64]:
    """Exact in-control standard deviation of the EWMA at each point for the n sequence."""
    counts = np.asarray(n, dtype=float)
    var = np.zeros(len(counts))
    previous = 0.0
    for t, size in enumerate(counts):
        if size > 0:
            previous = (1 - lam) ** 2 * previous + lam**2 * p0 * (1 - p0) / size
        var[t] = previous
    return np.sqrt(var)


def _paths(
    rates: NDArray[np.float64], active: NDArray[np.bool_], p0: float, lam: float
) -> NDArray[np.float64]:
    """EWMA of ``rates`` (rows = replicates, columns = time); inactive columns carry over."""
    out = np.empty_like(rates)
    z = np.full(rates.shape[0], p0)
    for t in range(rates.shape[1]):
        if active[t]:
            z = lam * rates[:, t] + (1 - lam) * z
        out[:, t] = z
    return out


@lru_cache(maxsize=512)
def _calibrated(
    n: tuple[int, ...], p0: float, lam: float, false_alarm: float, reps: int, seed: int
) -> float:
    counts = np.asarray(n, dtype=np.int64)
    active = counts > 0
    if not active.any():
        return float("inf")
    rng = np.random.default_rng(seed)
    draws = rng.binomial(counts, p0, size=(reps, len(counts)))
    rates = np.divide(draws, counts, out=np.zeros(draws.shape), where=active)
    sigma = ewma_sigma(counts, p0, lam)
    deviation = (_paths(rates, active, p0, lam)[:, active] - p0) / sigma[active]
    worst = np.sort(deviation.min(axis=1))
    k = min(int(np.floor(false_alarm * reps)), reps - 1)
    return float(-worst[k])


def calibrate_multiplier(
    n: Sequence[int] | NDArray[np.int64],
    p0: float,
    *,
    lam: float = 0.2,
    false_alarm: float = 0.01,
    reps: int = 20000,
    seed: int = 0,
) -> float:
    """Limit multiplier L giving ``false_alarm`` probability of any in-control signal.

    Simulates ``reps`` in-control windows (seeded) for exactly this n sequence and takes L so
    that at most ``false_alarm * reps`` of them ever fall below ``p0 - L sigma_t``. Cached by
    (n sequence, p0 rounded to 4 decimals, lam, false_alarm, reps, seed).
    """
    if not 0 < false_alarm < 1:
        raise ValueError("false_alarm must be in (0, 1)")
    p = float(np.clip(round(p0, 4), P0_FLOOR, 1 - P0_FLOOR))
    return _calibrated(tuple(int(v) for v in n), p, lam, false_alarm, reps, seed)


def ewma_lower(
    successes: ArrayLike,
    n: ArrayLike,
    p0: float,
    *,
    lam: float = 0.2,
    false_alarm: float = 0.01,
    reps: int = 20000,
    seed: int = 0,
) -> EwmaChart:
    """Run the lower EWMA chart on ``successes / n`` per point against baseline ``p0``.

    ``p0`` is clipped to [0.001, 0.999] so the variance never vanishes. Returns the path, the
    per-point lower limits, the boolean signals and the index of the first signal.
    """
    counts = np.asarray(n, dtype=np.int64).ravel()
    hits = np.asarray(successes, dtype=float).ravel()
    if hits.shape != counts.shape:
        raise ValueError("successes and n must have the same length")
    if np.any(counts < 0) or np.any(hits < 0) or np.any(hits > counts):
        raise ValueError("need 0 <= successes <= n")
    p = float(np.clip(p0, P0_FLOOR, 1 - P0_FLOOR))
    active = counts > 0
    rates = np.divide(hits, counts, out=np.zeros(len(counts)), where=active)
    path = _paths(rates[None, :], active, p, lam)[0]
    sigma = ewma_sigma(counts, p, lam)
    multiplier = calibrate_multiplier(
        counts, p, lam=lam, false_alarm=false_alarm, reps=reps, seed=seed
    )
    lower = np.where(active, p - multiplier * sigma, np.nan)
    signals = active & (path < lower)
    first = int(np.argmax(signals)) if signals.any() else None
    return EwmaChart(p, lam, multiplier, path, lower, sigma, signals, first)
