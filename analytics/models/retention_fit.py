"""The numerical core of the pooled retention fit (see ``halflife`` for the model).

P(pass) = M_c * (f + (1 - f) * 2^(-delta / h_c)). Parameters: a_c = logit M_c and
l_c = log h_c per competency, plus the shared alpha (mean of a_c), mu (shift of every log h_c
from its prior) and phi = logit f, the retention floor (skills do not decay to nothing;
Arthur et al. 1998). The negative log posterior and its
gradient are analytic; L-BFGS-B keeps l_c inside the half-life bounds. Standard errors of l_c
come from the (a_c, l_c) block of the observed Fisher information plus the prior precisions
(Laplace approximation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

LN2 = math.log(2.0)
_EPS = 1e-9


@dataclass(frozen=True)
class Priors:
    """Prior sds and bounds of the pooled fit (from ``ModelSettings.retention_priors``)."""

    sd_h: float
    sd_mu: float
    sd_m: float
    floor_mean: float
    sd_floor: float
    h_min: float
    h_max: float


@dataclass(frozen=True)
class Fit:
    """Fitted per-competency comprehension M, half-life h and se of log h."""

    m: np.ndarray
    half_life: np.ndarray
    se_log_h: np.ndarray
    mu: float
    floor: float

    def predict(self, i: int, delta: np.ndarray) -> np.ndarray:
        """P(pass) of competency ``i`` after ``delta`` days."""
        decay = np.exp2(-delta / self.half_life[i])
        p: np.ndarray = self.m[i] * (self.floor + (1.0 - self.floor) * decay)
        return p


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def _terms(
    theta: np.ndarray, y: np.ndarray, delta: np.ndarray, idx: np.ndarray, k: int
) -> tuple[np.ndarray, ...]:
    """Per row: p, d log p / d a, d log p / d l, d log p / d phi, weight (y - p) / (1 - p)."""
    a, lh, f = theta[:k], theta[k : 2 * k], float(_sigmoid(theta[2 * k + 2 : 2 * k + 3])[0])
    m = _sigmoid(a)[idx]
    x = delta / np.exp(lh)[idx]
    e = np.exp(-LN2 * x)
    g = f + (1.0 - f) * e
    p = np.clip(m * g, _EPS, 1.0 - 1e-7)
    gl = (1.0 - f) * e * LN2 * x / g
    return p, 1.0 - m, gl, f * (1.0 - f) * (1.0 - e) / g, (y - p) / (1.0 - p)


def _objective(
    theta: np.ndarray,
    y: np.ndarray,
    delta: np.ndarray,
    idx: np.ndarray,
    log_h0: np.ndarray,
    pr: Priors,
) -> tuple[float, np.ndarray]:
    """Negative log posterior and its gradient."""
    k = log_h0.size
    a, lh, alpha, mu, phi = theta[:k], theta[k : 2 * k], theta[2 * k], theta[2 * k + 1], theta[-1]
    p, ga, gl, gf, w = _terms(theta, y, delta, idx, k)
    phi0 = math.log(pr.floor_mean / (1.0 - pr.floor_mean))
    ll = float(np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p)))
    ra, rl = a - alpha, lh - log_h0 - mu
    pen = float(
        np.sum(ra**2) / (2 * pr.sd_m**2)
        + np.sum(rl**2) / (2 * pr.sd_h**2)
        + mu**2 / (2 * pr.sd_mu**2)
        + (phi - phi0) ** 2 / (2 * pr.sd_floor**2)
    )
    grad = np.zeros_like(theta)
    grad[:k] = -np.bincount(idx, w * ga, k) + ra / pr.sd_m**2
    grad[k : 2 * k] = -np.bincount(idx, w * gl, k) + rl / pr.sd_h**2
    grad[2 * k] = -np.sum(ra) / pr.sd_m**2
    grad[2 * k + 1] = -np.sum(rl) / pr.sd_h**2 + mu / pr.sd_mu**2
    grad[2 * k + 2] = -np.sum(w * gf) + (phi - phi0) / pr.sd_floor**2
    return -ll + pen, grad


def _se_log_h(
    theta: np.ndarray, y: np.ndarray, delta: np.ndarray, idx: np.ndarray, k: int, pr: Priors
) -> np.ndarray:
    """se of log h_c from the inverted 2x2 (a_c, l_c) information block plus prior precision."""
    p, ga, gl, _, _ = _terms(theta, y, delta, idx, k)
    info = p / (1.0 - p)
    iaa = np.bincount(idx, info * ga * ga, k) + 1.0 / pr.sd_m**2
    ill = np.bincount(idx, info * gl * gl, k) + 1.0 / pr.sd_h**2
    ial = np.bincount(idx, info * ga * gl, k)
    det = iaa * ill - ial**2
    var: np.ndarray = np.where(det > 0, iaa / np.maximum(det, 1e-12), pr.sd_h**2)
    out: np.ndarray = np.sqrt(np.minimum(var, pr.sd_h**2))
    return out


def fit_pooled(
    y: np.ndarray, delta: np.ndarray, idx: np.ndarray, h0: np.ndarray, pr: Priors
) -> Fit:
    """MAP fit of M_c and h_c for ``k = len(h0)`` competencies (rows indexed by ``idx``)."""
    k = h0.size
    log_h0 = np.log(h0)
    lo, hi = math.log(pr.h_min), math.log(pr.h_max)
    phi0 = math.log(pr.floor_mean / (1.0 - pr.floor_mean))
    start = np.concatenate([np.full(k, 2.0), np.clip(log_h0, lo, hi), [2.0, 0.0, phi0]])
    bounds = [(-6.0, 9.0)] * k + [(lo, hi)] * k + [(-6.0, 9.0), (-4.0, 4.0), (-6.0, 6.0)]
    res = minimize(
        _objective,
        start,
        args=(y.astype(float), delta.astype(float), idx, log_h0, pr),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
    )
    theta = res.x
    return Fit(
        m=_sigmoid(theta[:k]),
        half_life=np.clip(np.exp(theta[k : 2 * k]), pr.h_min, pr.h_max),
        se_log_h=_se_log_h(theta, y.astype(float), delta.astype(float), idx, k, pr),
        mu=float(theta[2 * k + 1]),
        floor=float(_sigmoid(theta[2 * k + 2 : 2 * k + 3])[0]),
    )


def baseline_rate(y: np.ndarray) -> float:
    """The no-decay baseline: the training pass rate, smoothed (Laplace) away from 0 and 1."""
    return float((y.sum() + 1.0) / (y.size + 2.0))


def calibration_slope(y: np.ndarray, p: np.ndarray) -> float | None:
    """Slope of the logistic recalibration y ~ a + b * logit(p) (1 is ideal); None if undefined."""
    lp = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1 - 1e-6))
    if y.min() == y.max() or float(np.std(lp)) < 1e-6:
        return None

    def nll(b: np.ndarray) -> tuple[float, np.ndarray]:
        q = np.clip(_sigmoid(b[0] + b[1] * lp), 1e-12, 1 - 1e-12)
        r = q - y
        val = -float(np.sum(y * np.log(q) + (1 - y) * np.log1p(-q)))
        return val, np.array([r.sum(), (r * lp).sum()])

    res = minimize(nll, np.array([0.0, 1.0]), jac=True, method="L-BFGS-B")
    return float(res.x[1]) if res.success else None
