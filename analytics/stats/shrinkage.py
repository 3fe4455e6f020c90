"""Empirical-Bayes shrinkage: beta-binomial for proportions, gamma-Poisson for event rates.

The prior is fitted across units by maximum likelihood on the marginal distribution
(beta-binomial, negative binomial), started from the method of moments; a unit's estimate is
its posterior mean with an equal-tailed credible interval. Small units are pulled toward the
population, large ones keep their own rate.

A plug-in prior ignores how little a handful of units says about the between-unit spread: when
they show no over-dispersion the fitted precision runs to ``MAX_PRECISION`` and every unit's
interval collapses onto the pooled mean (a department at 6/8 read "94 % (94 to 94 %)"). So a
proportion's interval also spans the posterior under the smallest precision inside the 95 %
likelihood interval of the precision (the mean held at its estimate): the interval is never
narrower than the data on the spread can support, and the estimate stays the posterior mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

MAX_PRECISION = 1e6  # alpha + beta (or the gamma shape) when units show no over-dispersion
MIN_PRECISION = 0.05  # the smallest alpha + beta the fit considers
CUT_95 = float(stats.chi2.ppf(0.95, 1)) / 2  # log-likelihood drop of a 95 % likelihood interval


@dataclass(frozen=True)
class BetaPrior:
    """Beta(alpha, beta) prior of unit proportions.

    ``precision_low`` is the lower end of the 95 % likelihood interval of the precision
    alpha + beta (None: take the prior as known).
    """

    alpha: float
    beta: float
    precision_low: float | None = None

    @property
    def mean(self) -> float:
        """Prior mean alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True)
class GammaPrior:
    """Gamma(shape, rate) prior of unit event rates per unit of exposure."""

    shape: float
    rate: float

    @property
    def mean(self) -> float:
        """Prior mean rate shape / rate."""
        return self.shape / self.rate


@dataclass(frozen=True)
class Shrunk:
    """Posterior means and credible limits per unit (same order as the input)."""

    estimate: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


def _arrays(x: ArrayLike, n: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    xs = np.asarray(x, dtype=float).ravel()
    ns = np.asarray(n, dtype=float).ravel()
    if xs.shape != ns.shape:
        raise ValueError("counts and denominators must have the same length")
    if np.any(xs < 0) or np.any(ns < 0):
        raise ValueError("counts and denominators must be non-negative")
    return xs, ns


def _moments_beta(x: NDArray[np.float64], n: NDArray[np.float64]) -> tuple[float, float]:
    """Pooled mean and a moment estimate of the precision alpha + beta."""
    mu = float(np.clip(x.sum() / n.sum(), 1e-4, 1 - 1e-4))
    rates = x / n
    between = float(np.average((rates - mu) ** 2, weights=n))
    binomial = mu * (1 - mu) * len(n) / n.sum()
    excess = between - binomial
    if excess <= 0:
        return mu, MAX_PRECISION
    return mu, float(np.clip(mu * (1 - mu) / excess - 1, 0.5, MAX_PRECISION))


class _BetaBinomialNll:
    """Negative beta-binomial log-likelihood of (logit mean, log precision) and its gradient.

    Written with ``gammaln``/``betaln``/``digamma`` directly (the same value as
    ``-stats.betabinom.logpmf(...).sum()``, binomial coefficients included) so that one
    evaluation costs a few vector operations and the optimiser needs no finite differences:
    the model run fits one prior per competency and month.
    """

    def __init__(self, x: NDArray[np.float64], n: NDArray[np.float64]) -> None:
        self.x, self.n = x, n
        self.log_choose = float(
            (special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)).sum()
        )

    def __call__(self, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """(nll, gradient) at ``theta`` = (logit mu, log kappa)."""
        x, n = self.x, self.n
        mu = 1 / (1 + np.exp(-theta[0]))
        kappa = np.exp(theta[1])
        a, b = mu * kappa, (1 - mu) * kappa
        ll = self.log_choose + float((special.betaln(x + a, n - x + b)).sum())
        ll -= len(n) * float(special.betaln(a, b))
        common = len(n) * special.digamma(kappa) - float(special.digamma(n + kappa).sum())
        d_a = float(special.digamma(x + a).sum()) - len(n) * special.digamma(a) + common
        d_b = float(special.digamma(n - x + b).sum()) - len(n) * special.digamma(b) + common
        grad = np.array([(d_a - d_b) * kappa * mu * (1 - mu), d_a * a + d_b * b])
        return -ll, -grad


def fit_beta_binomial(successes: ArrayLike, n: ArrayLike) -> BetaPrior:
    """Fit Beta(alpha, beta) across units by marginal maximum likelihood.

    Units with n = 0 are ignored. The optimiser works on (logit mean, log precision); with no
    over-dispersion the precision reaches ``MAX_PRECISION`` (complete pooling).
    """
    x, ns = _arrays(successes, n)
    keep = ns > 0
    x, ns = x[keep], ns[keep]
    if len(ns) == 0:
        raise ValueError("need at least one unit with n > 0")
    mu0, kappa0 = _moments_beta(x, ns)
    if len(ns) < 2:  # one unit says nothing about the spread between units
        return BetaPrior(mu0 * kappa0, (1 - mu0) * kappa0, precision_low=MIN_PRECISION)

    nll = _BetaBinomialNll(x, ns)
    start = np.array([np.log(mu0 / (1 - mu0)), np.log(kappa0)])
    bounds = [(-12.0, 12.0), (np.log(MIN_PRECISION), np.log(MAX_PRECISION))]
    res = optimize.minimize(nll, start, method="L-BFGS-B", jac=True, bounds=bounds)
    mu = float(1 / (1 + np.exp(-res.x[0])))
    kappa = float(np.exp(res.x[1]))
    low = _precision_low(nll, float(res.x[0]), float(res.x[1]), float(res.fun))
    return BetaPrior(mu * kappa, (1 - mu) * kappa, precision_low=low)


def _precision_low(nll: _BetaBinomialNll, logit_mu: float, log_kappa: float, best: float) -> float:
    """Smallest precision whose log-likelihood (mean held at ``logit_mu``) is within the 95 %
    chi-square(1) cut of the maximum."""

    def excess(log_k: float) -> float:
        return nll(np.array([logit_mu, log_k]))[0] - best - CUT_95

    lo = float(np.log(MIN_PRECISION))
    if log_kappa <= lo or excess(lo) <= 0:
        return MIN_PRECISION
    if excess(log_kappa) >= 0:  # the optimiser stopped short of the maximum: keep its value
        return float(np.exp(log_kappa))
    return float(np.exp(optimize.brentq(excess, lo, log_kappa, xtol=1e-3)))


def shrink_proportions(
    successes: ArrayLike, n: ArrayLike, prior: BetaPrior | None = None, *, level: float = 0.95
) -> Shrunk:
    """Posterior mean and ``level`` credible interval of each unit's proportion.

    The posterior of a unit is Beta(alpha + x, beta + n - x); a unit with n = 0 gets the prior.
    With ``precision_low`` set, the interval also covers the posterior under that precision
    (same prior mean), so it widens where the spread between units is poorly known.
    """
    x, ns = _arrays(successes, n)
    if np.any(x > ns):
        raise ValueError("successes must not exceed n")
    fitted = prior or fit_beta_binomial(x, ns)
    a, b = fitted.alpha + x, fitted.beta + ns - x
    tail = (1 - level) / 2
    low, high = stats.beta.ppf(tail, a, b), stats.beta.ppf(1 - tail, a, b)
    kappa = fitted.alpha + fitted.beta
    if fitted.precision_low is not None and fitted.precision_low < kappa:
        a_lo = fitted.mean * fitted.precision_low + x
        b_lo = (1 - fitted.mean) * fitted.precision_low + ns - x
        low = np.minimum(low, stats.beta.ppf(tail, a_lo, b_lo))
        high = np.maximum(high, stats.beta.ppf(1 - tail, a_lo, b_lo))
    return Shrunk(a / (a + b), low, high)


def _moments_gamma(y: NDArray[np.float64], e: NDArray[np.float64]) -> tuple[float, float]:
    """Pooled rate and a moment estimate of the gamma shape."""
    mean = max(float(y.sum() / e.sum()), 1e-9)
    between = float(np.average((y / e - mean) ** 2, weights=e))
    excess = between - mean * len(e) / e.sum()
    if excess <= 0:
        return mean, MAX_PRECISION
    return mean, float(np.clip(mean**2 / excess, 0.05, MAX_PRECISION))


def fit_gamma_poisson(counts: ArrayLike, exposure: ArrayLike) -> GammaPrior:
    """Fit Gamma(shape, rate) of unit rates by marginal (negative binomial) maximum likelihood.

    Counts y_i ~ Poisson(lambda_i E_i) with lambda_i ~ Gamma(shape, rate); units with zero
    exposure are ignored. With no events at all the rate is fitted as a tiny positive value.
    """
    y, e = _arrays(counts, exposure)
    keep = e > 0
    y, e = y[keep], e[keep]
    if len(e) == 0:
        raise ValueError("need at least one unit with exposure > 0")
    mean0, shape0 = _moments_gamma(y, e)
    if len(e) < 2 or y.sum() == 0:
        return GammaPrior(shape0, shape0 / mean0)

    def nll(theta: NDArray[np.float64]) -> float:
        mean, shape = np.exp(theta[0]), np.exp(theta[1])
        return -float(stats.nbinom.logpmf(y, shape, shape / (shape + mean * e)).sum())

    start = np.array([np.log(mean0), np.log(shape0)])
    bounds = [(np.log(mean0) - 10, np.log(mean0) + 10), (np.log(0.05), np.log(MAX_PRECISION))]
    res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=bounds)
    mean, shape = float(np.exp(res.x[0])), float(np.exp(res.x[1]))
    return GammaPrior(shape, shape / mean)


def shrink_rates(
    counts: ArrayLike,
    exposure: ArrayLike,
    prior: GammaPrior | None = None,
    *,
    level: float = 0.95,
    per: float = 1.0,
) -> Shrunk:
    """Posterior mean rate and ``level`` credible interval per unit, scaled by ``per``.

    The posterior is Gamma(shape + y, rate + E); ``per=1000`` with patient-days as exposure
    gives rates per 1,000 patient-days.
    """
    y, e = _arrays(counts, exposure)
    fitted = prior or fit_gamma_poisson(y, e)
    shape, rate = fitted.shape + y, fitted.rate + e
    tail = (1 - level) / 2
    low = stats.gamma.ppf(tail, shape, scale=1 / rate)
    high = stats.gamma.ppf(1 - tail, shape, scale=1 / rate)
    return Shrunk(per * shape / rate, per * low, per * high)
