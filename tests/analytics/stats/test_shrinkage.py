"""Empirical-Bayes shrinkage: fitted priors recover simulated ones; small units shrink most."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats.shrinkage import (
    MAX_PRECISION,
    BetaPrior,
    GammaPrior,
    fit_beta_binomial,
    fit_gamma_poisson,
    shrink_proportions,
    shrink_rates,
)


def test_beta_binomial_recovers_a_simulated_prior():
    rng = np.random.default_rng(5)
    n = rng.integers(20, 80, size=400)
    x = rng.binomial(n, rng.beta(18, 2, size=400))
    prior = fit_beta_binomial(x, n)
    assert prior.mean == pytest.approx(0.9, abs=0.01)
    assert 12 < prior.alpha + prior.beta < 30


def test_no_overdispersion_pools_completely():
    n = np.full(50, 40)
    x = np.full(50, 36)
    prior = fit_beta_binomial(x, n)
    assert prior.alpha + prior.beta == pytest.approx(MAX_PRECISION, rel=0.01)


def test_posterior_is_conjugate_and_small_units_shrink_more():
    prior = BetaPrior(9.0, 1.0)
    shrunk = shrink_proportions([1, 10], [4, 40], prior)
    assert shrunk.estimate[0] == pytest.approx(10 / 14)
    assert shrunk.estimate[1] == pytest.approx(19 / 50)
    raw = np.array([0.25, 0.25])
    assert abs(shrunk.estimate[0] - raw[0]) > abs(shrunk.estimate[1] - raw[1])
    assert np.all(shrunk.low < shrunk.estimate) and np.all(shrunk.estimate < shrunk.high)


def test_empty_unit_gets_the_prior():
    shrunk = shrink_proportions([0], [0], BetaPrior(8.0, 2.0))
    assert shrunk.estimate[0] == pytest.approx(0.8)


def test_bad_proportions_are_refused():
    with pytest.raises(ValueError):
        shrink_proportions([5], [4], BetaPrior(1, 1))
    with pytest.raises(ValueError):
        fit_beta_binomial([0], [0])


def test_gamma_poisson_recovers_a_simulated_prior():
    rng = np.random.default_rng(9)
    exposure = rng.uniform(500, 1500, size=300)
    rates = rng.gamma(4.0, 0.004 / 4.0, size=300)
    prior = fit_gamma_poisson(rng.poisson(rates * exposure), exposure)
    assert prior.mean == pytest.approx(0.004, rel=0.08)
    assert 2.0 < prior.shape < 8.0


def test_rates_per_thousand_and_shrinkage():
    prior = GammaPrior(2.0, 500.0)  # mean 4 per 1,000
    shrunk = shrink_rates([0, 40], [100, 10000], prior, per=1000)
    assert shrunk.estimate[0] == pytest.approx(1000 * 2 / 600)
    assert shrunk.estimate[1] == pytest.approx(1000 * 42 / 10500)
    assert shrunk.low[0] < shrunk.estimate[0] < shrunk.high[0]


def test_no_events_still_fits():
    prior = fit_gamma_poisson([0, 0, 0], [100, 200, 300])
    assert prior.mean > 0


def test_beta_binomial_likelihood_and_gradient_are_exact():
    """The hand-written likelihood equals scipy's, and its gradient a finite difference."""
    from scipy import optimize, stats

    from analytics.stats.shrinkage import _BetaBinomialNll

    rng = np.random.default_rng(11)
    n = rng.integers(0, 40, size=15).astype(float)
    x = rng.binomial(n.astype(int), 0.8).astype(float)
    nll = _BetaBinomialNll(x, n)
    for theta in (np.array([1.2, 2.0]), np.array([-0.5, 4.0]), np.array([2.5, 0.3])):
        mu, kappa = 1 / (1 + np.exp(-theta[0])), np.exp(theta[1])
        expected = -stats.betabinom.logpmf(x, n, mu * kappa, (1 - mu) * kappa).sum()
        value, grad = nll(theta)
        assert value == pytest.approx(expected, rel=1e-12)
        numeric = optimize.approx_fprime(theta, lambda t: nll(t)[0], 1e-7)
        assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-4)


def test_beta_binomial_fit_reaches_the_likelihood_maximum():
    """No nearby point of (logit mean, log precision) has a higher likelihood than the fit."""
    from analytics.stats.shrinkage import _BetaBinomialNll

    rng = np.random.default_rng(12)
    n = rng.integers(5, 40, size=12).astype(float)
    x = rng.binomial(n.astype(int), rng.beta(8, 2, size=12)).astype(float)
    prior = fit_beta_binomial(x, n)
    best = np.array([np.log(prior.alpha / prior.beta), np.log(prior.alpha + prior.beta)])
    nll = _BetaBinomialNll(x, n)
    for step in ((0.05, 0), (-0.05, 0), (0, 0.05), (0, -0.05)):
        assert nll(best)[0] <= nll(best + np.array(step))[0] + 1e-9


def test_few_units_without_spread_keep_an_honest_interval():
    """18 departments near 94 % show no over-dispersion, so the plug-in prior pools completely;
    a department at 6/8 must still get an interval that reflects its 8 staff, not 94-94 %."""
    n = np.array([8, 40, 35, 30, 28, 25, 22, 20, 18, 16, 15, 14, 12, 12, 10, 10, 9, 9])
    x = np.round(n * 0.94).astype(int)
    x[0] = 6
    prior = fit_beta_binomial(x, n)
    assert prior.alpha + prior.beta > 1000  # the point fit pools (nearly) completely
    assert prior.precision_low is not None and prior.precision_low < 100
    shrunk = shrink_proportions(x, n, prior)
    width = shrunk.high - shrunk.low
    assert width[0] > 0.1  # was 0.001 with the plug-in prior alone
    assert width[0] > width[1]  # 8 staff are less certain than 40
    assert np.all(shrunk.low <= shrunk.estimate) and np.all(shrunk.estimate <= shrunk.high)


def test_one_unit_gets_its_own_binomial_width():
    shrunk = shrink_proportions([6], [8])
    assert shrunk.estimate[0] == pytest.approx(0.75, abs=0.01)
    assert shrunk.low[0] < 0.45 and shrunk.high[0] > 0.93


def test_many_units_with_real_spread_keep_the_plug_in_interval():
    rng = np.random.default_rng(5)
    n = rng.integers(20, 80, size=400)
    x = rng.binomial(n, rng.beta(18, 2, size=400))
    prior = fit_beta_binomial(x, n)
    known = BetaPrior(prior.alpha, prior.beta)
    assert prior.precision_low is not None
    assert prior.precision_low > 0.6 * (prior.alpha + prior.beta)  # 400 units pin the spread
    wide = shrink_proportions(x, n, prior)
    plain = shrink_proportions(x, n, known)
    assert np.median((wide.high - wide.low) / (plain.high - plain.low)) < 1.2
