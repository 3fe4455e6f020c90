"""E-values (VanderWeele & Ding 2017) and Benjamini-Hochberg q-values.

The E-value of a risk or rate ratio RR is the minimum strength of association, on the RR
scale, that an unmeasured confounder would need with both the exposure and the outcome to
explain the observed association away: ``RR + sqrt(RR (RR - 1))`` for RR >= 1 (a protective
RR < 1 is inverted first). Incidents are rare per patient-day, so the rate ratio is used as a
risk ratio directly. The E-value of a CI is that of the limit closer to 1, or 1 when the CI
contains 1.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def e_value(rr: float) -> float:
    """E-value of a point ratio (1 for RR = 1)."""
    if not (rr > 0 and math.isfinite(rr)):
        raise ValueError(f"a ratio must be positive and finite, got {rr}")
    r = rr if rr >= 1 else 1 / rr
    return r + math.sqrt(r * (r - 1))


def e_value_ci(low: float, high: float) -> float:
    """E-value of a 95 % CI: of the limit closer to 1, or 1 when the CI contains 1."""
    if low <= 1 <= high:
        return 1.0
    return e_value(low if low > 1 else high)


def bh_qvalues(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order; NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok])]
    m = order.size
    ranked = p[order] * m / np.arange(1, m + 1)
    out[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return out
