"""Funnel plots for proportions (Spiegelhalter 2005) with a multiplicative over-dispersion.

Control limits around a target ``p0`` for a unit of size n are
``p0 ± z_level * sqrt(phi * p0 (1 - p0) / n)``, clipped to [0, 1]. ``phi`` is estimated from
the units' z-scores after winsorising the top and bottom 10 % (Spiegelhalter 2005, §3.3) and
is only used when above 1 (no under-dispersion is assumed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import betabinom, binom, norm

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FunnelLimits:
    """Lower and upper limits per unit at 95 % and 99.8 % (two-sided)."""

    lower95: NDArray[np.float64]
    upper95: NDArray[np.float64]
    lower998: NDArray[np.float64]
    upper998: NDArray[np.float64]
    phi: float


def z_scores(rate: ArrayLike, n: ArrayLike, p0: float) -> NDArray[np.float64]:
    """Naive z-scores (rate - p0) / sqrt(p0 (1 - p0) / n); NaN where n = 0."""
    r = np.asarray(rate, dtype=float)
    ns = np.asarray(n, dtype=float)
    se = np.sqrt(p0 * (1 - p0) / np.where(ns > 0, ns, np.nan))
    return np.asarray((r - p0) / se, dtype=float)


def overdispersion(rate: ArrayLike, n: ArrayLike, p0: float, *, winsor: float = 0.1) -> float:
    """Multiplicative over-dispersion phi = mean of squared winsorised z-scores, floored at 1.

    Fewer than three units give 1.0 (too few to estimate).
    """
    z = z_scores(rate, n, p0)
    z = z[np.isfinite(z)]
    if len(z) < 3:
        return 1.0
    low, high = np.quantile(z, [winsor, 1 - winsor])
    return max(1.0, float(np.mean(np.clip(z, low, high) ** 2)))


def funnel_limits(n: ArrayLike, p0: float, phi: float = 1.0) -> FunnelLimits:
    """95 % and 99.8 % funnel limits around ``p0`` for each n (NaN where n = 0)."""
    if not 0 < p0 < 1:
        raise ValueError("p0 must be strictly between 0 and 1")
    ns = np.asarray(n, dtype=float)
    se = np.sqrt(phi * p0 * (1 - p0) / np.where(ns > 0, ns, np.nan))
    z95, z998 = norm.ppf(0.975), norm.ppf(0.999)

    def clip(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.clip(v, 0.0, 1.0), dtype=float)

    return FunnelLimits(
        clip(p0 - z95 * se), clip(p0 + z95 * se), clip(p0 - z998 * se), clip(p0 + z998 * se), phi
    )


def classify(rate: ArrayLike, n: ArrayLike, p0: float, phi: float = 1.0) -> NDArray[np.str_]:
    """Per unit: ``LOW`` below the lower 99.8 % limit, ``HIGH`` above the upper, else ``IN``.

    Units with n = 0 are ``IN`` (nothing to judge; eligibility is decided elsewhere).
    """
    r = np.asarray(rate, dtype=float)
    limits = funnel_limits(n, p0, phi)
    out = np.full(r.shape, "IN", dtype="<U4")
    out[r < limits.lower998] = "LOW"
    out[r > limits.upper998] = "HIGH"
    return out


def is_low(rate: float, n: int, p0: float, phi: float = 1.0) -> bool:
    """True when a unit's (shrunken) rate lies below the lower 99.8 % funnel limit."""
    return bool(classify([rate], [n], p0, phi)[0] == "LOW")


@lru_cache(maxsize=16)
def _winsor_factor(winsor: float) -> float:
    """E[clip(Z, q, -q)^2] for a standard normal Z winsorised at its ``winsor`` quantiles."""
    a = float(norm.ppf(1 - winsor))
    return float(2 * ((norm.cdf(a) - 0.5) - a * norm.pdf(a)) + 2 * winsor * a * a)


def random_effects_tau2(rate: ArrayLike, n: ArrayLike, p0: float, *, winsor: float = 0.1) -> float:
    """Additive over-dispersion tau^2 (Spiegelhalter 2005, §3.3.2, DerSimonian-Laird form).

    With winsorised z-scores z_i, within-unit variances s_i^2 = p0 (1 - p0) / n_i and weights
    w_i = 1 / s_i^2: ``tau^2 = (N phi - (N - 1)) / (sum w - sum w^2 / sum w)`` when
    ``N phi > N - 1``, else 0. ``phi`` is the mean squared winsorised z-score divided by its
    expectation under a standard normal (0.68 at 10 %), so winsorising bounds the influence of
    outlying units without biasing tau^2 down. Fewer than three units give 0.
    """
    r = np.asarray(rate, dtype=float)
    ns = np.asarray(n, dtype=float)
    keep = np.isfinite(r) & (ns > 0)
    z = z_scores(r[keep], ns[keep], p0)
    if len(z) < 3:
        return 0.0
    low, high = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, low, high) ** 2)) / _winsor_factor(winsor)
    w = ns[keep] / (p0 * (1 - p0))
    big_n = len(z)
    if big_n * phi <= big_n - 1:
        return 0.0
    return float((big_n * phi - (big_n - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def random_effects_lower(n: ArrayLike, p0: float, tau2: float, z: float = 3.090) -> FloatArray:
    """Lower funnel limit ``p0 - z sqrt(p0 (1 - p0) / n + tau^2)`` (NaN where n = 0)."""
    ns = np.asarray(n, dtype=float)
    se = np.sqrt(p0 * (1 - p0) / np.where(ns > 0, ns, np.nan) + tau2)
    return np.asarray(np.clip(p0 - z * se, 0.0, 1.0), dtype=float)


def beta_binomial_lower(n: ArrayLike, p0: float, tau2: float, tail: float = 0.001) -> FloatArray:
    """Exact lower funnel limit (as a rate) from a beta-binomial with mean p0, variance tau^2.

    Unit rates are Beta(a, b) with mean ``p0`` and variance ``tau2`` (the additive
    over-dispersion; binomial when ``tau2`` is 0), so a unit's count is beta-binomial. The
    limit is the ``tail`` quantile of the count over n: a unit is LOW when its count is below
    it, i.e. P(X <= x) < ``tail`` (0.001 = the lower half of a 99.8 % funnel). Exact, so the
    skew of rates near 100 % in small units does not produce false LOWs. NaN where n = 0.
    """
    ns = np.asarray(n, dtype=float)
    out = np.full(ns.shape, np.nan)
    pos = ns > 0
    if not pos.any():
        return out
    p = float(np.clip(p0, 1e-4, 1 - 1e-4))
    size = p * (1 - p) / tau2 - 1 if tau2 > 0 else np.inf
    units = ns[pos].astype(np.int64)
    ks = np.arange(int(units.max()) + 1)[None, :]
    if not np.isfinite(size) or size > 1e7:
        pmf = binom.pmf(ks, units[:, None], p)
    else:
        size = max(size, 1e-3)
        pmf = betabinom.pmf(ks, units[:, None], p * size, (1 - p) * size)
    cdf = np.cumsum(np.where(ks <= units[:, None], pmf, 0.0), axis=1)
    # the tail quantile: the smallest k with P(X <= k) >= tail
    out[pos] = (cdf < tail * (1 - 1e-9)).sum(axis=1) / units
    return out
