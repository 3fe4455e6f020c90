"""Binomial CUSUM of lapses, additive funnel over-dispersion and vectorised Sen slopes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import theilslopes

from analytics.stats.cusum import Baseline, cusum_paths, cusum_pvalues, weights
from analytics.stats.funnel import random_effects_lower, random_effects_tau2
from analytics.stats.trend import sen_slopes


def test_weights_are_the_log_likelihood_ratio_of_an_odds_ratio_shift() -> None:
    w1, w0 = weights(np.array([0.1]), 3.0)
    p1 = 0.25  # odds 1/9 x 3 = 1/3
    assert w1[0] == pytest.approx(np.log(p1 / 0.1))
    assert w0[0] == pytest.approx(np.log(0.75 / 0.9))


def test_cusum_path_by_hand() -> None:
    """p0 = 0.1, OR 3: W = 0.9163 per lapse, -0.1823 per on-time renewal, floored at 0."""
    due = np.array([[2.0, 2.0, 2.0, 0.0, 2.0]])
    lapsed = np.array([[0.0, 1.0, 2.0, 0.0, 0.0]])
    s, e = cusum_paths(due, lapsed, np.array([0.1]), 3.0)
    w1, w0 = np.log(0.25 / 0.1), np.log(0.75 / 0.9)
    expected = [0.0, w1 + w0, w1 + w0 + 2 * w1, w1 + w0 + 2 * w1, w1 + w0 + 2 * w1 + 2 * w0]
    assert s[0] == pytest.approx(expected)
    # excess lapses of the current run: (1 - 0.2) + (2 - 0.2) + 0 + (0 - 0.2)
    assert e[0] == pytest.approx([0.0, 0.8, 2.6, 2.6, 2.4])


def test_a_fixed_baseline_is_shrunk_to_the_prior() -> None:
    base = Baseline(np.array([0.0, 10.0]), np.array([0.0, 5.0]), np.array([0.05, 0.05]), 10.0)
    assert base.p0() == pytest.approx([0.05, (5 + 0.5) / 20])


def test_bootstrap_pvalues_are_calibrated_in_control() -> None:
    """In-control charts with an estimated baseline: P(p <= 0.05) stays near 0.05."""
    rng = np.random.default_rng(7)
    charts, t, p = 400, 12, 0.08
    due = np.full((charts, t), 3.0)
    base_due = np.full(charts, 15.0)
    base_lapsed = rng.binomial(15, p, charts).astype(float)
    base = Baseline(base_due, base_lapsed, np.full(charts, p), 10.0)
    lapsed = rng.binomial(3, p, (charts, t)).astype(float)
    s, _ = cusum_paths(due, lapsed, base.p0(), 3.0)
    pv = cusum_pvalues(base, due, s, 3.0, reps=2000, seed=1)
    share = float((pv[:, -1] <= 0.05).mean())
    assert 0.01 <= share <= 0.09
    assert (pv[s == 0] == 1.0).all()


def test_bootstrap_pvalues_are_small_for_a_planted_rise() -> None:
    base = Baseline(np.array([15.0]), np.array([1.0]), np.array([0.05]), 10.0)
    due = np.full((1, 6), 3.0)
    lapsed = np.array([[0.0, 2.0, 2.0, 3.0, 2.0, 3.0]])
    s, _ = cusum_paths(due, lapsed, base.p0(), 3.0)
    pv = cusum_pvalues(base, due, s, 3.0, reps=5000, seed=1)
    assert pv[0, -1] < 0.001


def test_tau2_is_zero_without_overdispersion_and_recovers_a_planted_one() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(20, 200, 3000)
    binomial = rng.binomial(n, 0.9) / n
    assert random_effects_tau2(binomial, n, 0.9) < 0.0002
    true = rng.normal(0.9, 0.04, len(n)).clip(0.01, 0.99)
    spread = rng.binomial(n, true) / n
    # winsorising shrinks the estimate a little (Spiegelhalter 2005): within 25 %
    assert random_effects_tau2(spread, n, 0.9) == pytest.approx(0.04**2, rel=0.25)


def test_random_effects_limit_by_hand() -> None:
    low = random_effects_lower([25], 0.9, 0.03**2, z=3.09)
    assert low[0] == pytest.approx(0.9 - 3.09 * np.sqrt(0.9 * 0.1 / 25 + 0.0009))


def test_sen_slopes_match_scipy() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=(6, 12)).cumsum(axis=1)
    got = sen_slopes(y)
    for row, (slope, low, high) in zip(y, got, strict=True):
        ref = theilslopes(row, np.arange(12.0), alpha=0.95)
        assert (slope, low, high) == pytest.approx((ref.slope, ref.low_slope, ref.high_slope))


@pytest.mark.parametrize("tau2", [0.0, 0.001, 0.01])
def test_beta_binomial_lower_is_the_exact_quantile(tau2: float) -> None:
    from scipy.stats import betabinom, binom

    from analytics.stats.funnel import beta_binomial_lower

    n = np.array([1, 5, 10, 30, 200])
    got = beta_binomial_lower(n, 0.93, tau2)
    if tau2 == 0:
        ref = binom.ppf(0.001, n, 0.93)
    else:
        size = 0.93 * 0.07 / tau2 - 1
        ref = betabinom.ppf(0.001, n, 0.93 * size, 0.07 * size)
    assert got == pytest.approx(ref / n)
    assert np.isnan(beta_binomial_lower([0], 0.93, tau2)[0])


def test_two_misses_in_ten_near_100_percent_are_not_low() -> None:
    """The normal limit (0.80 at p0 = 0.97, n = 10) calls 8/10 LOW; the exact one does not."""
    from analytics.stats.funnel import beta_binomial_lower, random_effects_lower

    assert random_effects_lower([10], 0.97, 0.0)[0] + 0.01 > 0.8
    assert beta_binomial_lower([10], 0.97, 0.0)[0] <= 0.7
