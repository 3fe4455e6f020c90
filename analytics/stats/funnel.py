"""Funnel plots for proportions (Spiegelhalter 2005) with a multiplicative over-dispersion.

Control limits around a target ``p0`` for a unit of size n are
``p0 ± z_level * sqrt(phi * p0 (1 - p0) / n)``, clipped to [0, 1]. ``phi`` is estimated from
the units' z-scores after winsorising the top and bottom 10 % (Spiegelhalter 2005, §3.3) and
is only used when above 1 (no under-dispersion is assumed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm


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
