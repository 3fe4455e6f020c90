"""Binomial (grouped Bernoulli) CUSUM on monthly lapses among renewals due.

Steiner, Cook, Farewell & Treasure (2000) chart each Bernoulli outcome with the log-likelihood
ratio of an odds-ratio shift; grouped by month, ``d_t`` renewals fall due and ``l_t`` of them
lapse (not renewed on time), so the increment is

    W_t = l_t log(p1 / p0) + (d_t - l_t) log((1 - p1) / (1 - p0)),  odds(p1) = R odds(p0)

and ``S_t = max(0, S_{t-1} + W_t)`` (Page 1954), started at 0. Charting the *flow* (who was due
and who lapsed this month) rather than the compliance stock avoids the stock's persistence:
the same people do not re-enter the statistic each month.

``p0`` is fixed from a baseline period (Phase I) and never follows a later decline down. Its
estimation error is part of the in-control distribution (Jensen et al. 2006): p-values come from
a parametric bootstrap that draws the true lapse probability from its posterior, re-draws the
baseline period, re-estimates ``p0`` exactly as the data did and runs the chart on the same
``d_t`` sequence. The p-value of each chart at each month (Li & Tsung 2009) then enters a
Benjamini-Hochberg step across all charts of the month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

P_FLOOR, P_CEIL = 0.002, 0.5

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Baseline:
    """Phase I of every chart: due and lapsed counts and the prior they are shrunk to."""

    due: FloatArray
    lapsed: FloatArray
    prior_rate: FloatArray
    prior_strength: float

    def p0(self) -> FloatArray:
        """Baseline lapse probability per chart: (l + m q) / (d + m), clipped to [0.002, 0.5]."""
        m = self.prior_strength
        p = (self.lapsed + m * self.prior_rate) / (self.due + m)
        return np.asarray(np.clip(p, P_FLOOR, P_CEIL), dtype=float)


def weights(p0: FloatArray, odds_ratio: float) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood ratio weights of a lapse and of an on-time renewal for each ``p0``."""
    odds1 = odds_ratio * p0 / (1 - p0)
    p1 = odds1 / (1 + odds1)
    return np.log(p1 / p0), np.log((1 - p1) / (1 - p0))


def cusum_paths(
    due: FloatArray, lapsed: FloatArray, p0: FloatArray, odds_ratio: float
) -> tuple[FloatArray, FloatArray]:
    """CUSUM paths and the excess lapses of the current run, for charts x months arrays.

    ``due``/``lapsed`` have shape (..., T) and ``p0`` shape (...); returns ``(S, excess)`` of
    shape (..., T). ``excess`` sums ``l_t - d_t p0`` over the months since the chart last sat at
    zero (0 when it sits there): how many more staff lapsed than the baseline predicts.
    """
    w1, w0 = weights(p0, odds_ratio)
    s = np.zeros(due.shape)
    e = np.zeros(due.shape)
    prev_s = np.zeros(due.shape[:-1])
    prev_e = np.zeros(due.shape[:-1])
    for t in range(due.shape[-1]):
        d, l_ = due[..., t], lapsed[..., t]
        cur = np.maximum(0.0, prev_s + l_ * w1 + (d - l_) * w0)
        run = np.where(prev_s > 0, prev_e, 0.0) + l_ - d * p0
        prev_e = np.where(cur > 0, run, 0.0)
        prev_s = cur
        s[..., t], e[..., t] = cur, prev_e
    return s, e


def cusum_pvalues(
    baseline: Baseline,
    due: FloatArray,
    observed: FloatArray,
    odds_ratio: float,
    *,
    reps: int = 4000,
    seed: int = 0,
) -> FloatArray:
    """In-control p-values P(S_t >= observed S_t) per chart and month (parametric bootstrap).

    ``baseline`` holds the charts' Phase I counts, ``due`` the chart months' due counts (charts
    x T) and ``observed`` their CUSUM values. Each replicate draws the true lapse probability
    from Beta(l + m q + 1/2, d - l + m (1 - q) + 1/2), the baseline lapses, re-estimates
    ``p0`` and runs the chart on ``due``. Returns (1 + #{S* >= S}) / (reps + 1); months where
    the chart sits at zero get 1.
    """
    rng = np.random.default_rng(seed)
    m, q = baseline.prior_strength, baseline.prior_rate
    a = baseline.lapsed + m * q + 0.5
    b = baseline.due - baseline.lapsed + m * (1 - q) + 0.5
    out = np.ones(observed.shape)
    for i in np.flatnonzero((observed > 0).any(axis=-1)):
        p_true = rng.beta(a[i], b[i], size=reps)
        base_l = rng.binomial(int(baseline.due[i]), p_true)
        sim = Baseline(np.full(reps, baseline.due[i]), base_l.astype(float), np.full(reps, q[i]), m)
        draws = rng.binomial(due[i].astype(np.int64)[None, :], p_true[:, None]).astype(float)
        s, _ = cusum_paths(np.broadcast_to(due[i], draws.shape), draws, sim.p0(), odds_ratio)
        exceed = (s >= observed[i][None, :] - 1e-12).sum(axis=0)
        out[i] = np.where(observed[i] > 0, (1 + exceed) / (reps + 1), 1.0)
    return out
