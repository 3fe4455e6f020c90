"""Monotone trend tests: Mann-Kendall with the Hamed-Rao variance correction, Sen's slope, BH.

Mann (1945), Kendall (1975), Hamed & Rao (1998), Sen (1968), Benjamini & Hochberg (1995).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm, rankdata, theilslopes
from statsmodels.stats.multitest import multipletests


@dataclass(frozen=True)
class MannKendall:
    """Result of a Mann-Kendall test.

    ``p_decreasing`` is the one-sided p-value against a decreasing trend (small when the series
    falls); ``correction`` is Hamed & Rao's n/n* (1.0 when no autocorrelation was significant).
    """

    n: int
    s: float
    var_s: float
    correction: float
    z: float
    tau: float
    p_decreasing: float
    p_increasing: float
    p_two_sided: float


@dataclass(frozen=True)
class SenSlope:
    """Sen's (Theil-Sen) slope per unit of x, its intercept and a confidence interval."""

    slope: float
    intercept: float
    low: float
    high: float
    level: float


def _clean(values: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=float).ravel()
    return np.asarray(x[np.isfinite(x)], dtype=float)


def _s_statistic(x: NDArray[np.float64]) -> float:
    diff = np.sign(x[None, :] - x[:, None])
    return float(np.triu(diff, k=1).sum())


def _variance_s(x: NDArray[np.float64]) -> float:
    n = len(x)
    _, ties = np.unique(x, return_counts=True)
    return float((n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18)


def _acf(x: NDArray[np.float64]) -> NDArray[np.float64]:
    y = x - x.mean()
    acov = np.correlate(y, y, "full")[len(x) - 1 :] / len(x)
    if acov[0] == 0:
        return np.zeros(len(x))
    return np.asarray(acov / acov[0], dtype=float)


def hamed_rao_correction(x: ArrayLike, alpha: float = 0.05) -> float:
    """Hamed & Rao (1998) variance inflation n/n* for an autocorrelated series.

    The series is detrended with Sen's slope, ranked, and the autocorrelations of the ranks
    that are significant at ``alpha`` (|rho_k| > z_{1-alpha/2}/sqrt(n)) enter
    ``1 + 2/(n(n-1)(n-2)) * sum (n-k)(n-k-1)(n-k-2) rho_k``. A non-positive factor (strong
    negative autocorrelation in a short series) falls back to 1.0 (no correction).
    """
    y = _clean(x)
    n = len(y)
    if n < 4:
        return 1.0
    slope = sens_slope(y).slope
    ranks = rankdata(y - slope * np.arange(1, n + 1))
    rho = _acf(ranks)
    bound = norm.ppf(1 - alpha / 2) / np.sqrt(n)
    k = np.arange(1, n)
    significant = np.abs(rho[1:]) > bound
    weights = (n - k) * (n - k - 1) * (n - k - 2)
    factor = 1 + 2 / (n * (n - 1) * (n - 2)) * float(np.sum((weights * rho[1:])[significant]))
    return factor if factor > 0 else 1.0


def mann_kendall(values: ArrayLike, *, hamed_rao: bool = True, alpha: float = 0.05) -> MannKendall:
    """Mann-Kendall trend test of a series in time order (NaNs are skipped).

    The normal approximation uses the tie-corrected variance of S and a continuity correction;
    with ``hamed_rao`` the variance is multiplied by :func:`hamed_rao_correction`. Fewer than
    three points give S = 0 and p-values of 1.
    """
    x = _clean(values)
    n = len(x)
    if n < 3:
        return MannKendall(n, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0)
    s = _s_statistic(x)
    var_s = _variance_s(x)
    correction = hamed_rao_correction(x, alpha) if hamed_rao else 1.0
    var_s *= correction
    z = 0.0 if s == 0 or var_s <= 0 else (s - np.sign(s)) / np.sqrt(var_s)
    return MannKendall(
        n=n,
        s=s,
        var_s=var_s,
        correction=correction,
        z=float(z),
        tau=s / (0.5 * n * (n - 1)),
        p_decreasing=float(norm.cdf(z)),
        p_increasing=float(norm.sf(z)),
        p_two_sided=float(2 * norm.sf(abs(z))),
    )


def sens_slope(values: ArrayLike, x: ArrayLike | None = None, *, level: float = 0.95) -> SenSlope:
    """Sen's slope (median of pairwise slopes) with its ``level`` confidence interval.

    Delegates to :func:`scipy.stats.theilslopes` (Sen 1968 interval from Kendall's variance).
    ``x`` defaults to 0, 1, 2, … (one step per point, e.g. per month). NaN points are skipped.
    """
    y = np.asarray(values, dtype=float).ravel()
    xs = np.arange(len(y), dtype=float) if x is None else np.asarray(x, dtype=float).ravel()
    keep = np.isfinite(y) & np.isfinite(xs)
    y, xs = y[keep], xs[keep]
    if len(y) < 2 or np.ptp(xs) == 0:
        nan = float("nan")
        return SenSlope(nan, nan, nan, nan, level)
    res = theilslopes(y, xs, alpha=level)
    return SenSlope(
        float(res.slope), float(res.intercept), float(res.low_slope), float(res.high_slope), level
    )


def bh_qvalues(pvalues: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini-Hochberg (1995) adjusted p-values (q-values); NaN inputs stay NaN.

    Uses :func:`statsmodels.stats.multitest.multipletests` with ``method="fdr_bh"`` over the
    finite p-values only, so ineligible cells neither count towards nor receive a q-value.
    """
    p = np.asarray(pvalues, dtype=float).ravel()
    q = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        q[finite] = multipletests(p[finite], method="fdr_bh")[1]
    return q


def sen_slopes(values: ArrayLike, *, level: float = 0.95) -> NDArray[np.float64]:
    """Sen's slope and its ``level`` interval for each row of a (rows x T) array at x = 0..T-1.

    Vectorised form of :func:`sens_slope` for complete rows (the interval uses the Kendall
    variance T(T-1)(2T+5)/18 of untied x, as ``scipy.stats.theilslopes`` does); rows with a
    NaN fall back to :func:`sens_slope` on their finite points. Returns (rows x 3): slope,
    low, high.
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    rows, t = y.shape
    out = np.full((rows, 3), np.nan)
    if t < 2:
        return out
    i, j = np.triu_indices(t, k=1)
    slopes = np.sort((y[:, j] - y[:, i]) / (j - i), axis=1)
    pairs = len(i)
    z = norm.ppf(0.5 * (1 + level))
    c = z * np.sqrt(t * (t - 1) * (2 * t + 5) / 18)
    lo = int(np.clip(np.round((pairs - c) / 2) - 1, 0, pairs - 1))
    hi = int(np.clip(np.round((pairs + c) / 2), 0, pairs - 1))
    out[:, 0] = np.median(slopes, axis=1)
    out[:, 1], out[:, 2] = slopes[:, lo], slopes[:, hi]
    for r in np.flatnonzero(~np.isfinite(y).all(axis=1)):
        res = sens_slope(y[r], level=level)
        out[r] = (res.slope, res.low, res.high)
    return out
