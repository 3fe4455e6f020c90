"""Funnel limits: known values, widening with small n, over-dispersion, LOW classification."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats.funnel import classify, funnel_limits, is_low, overdispersion, z_scores


def test_known_limits():
    limits = funnel_limits([100], 0.9)
    se = np.sqrt(0.9 * 0.1 / 100)
    assert limits.lower95[0] == pytest.approx(0.9 - 1.959964 * se, rel=1e-6)
    assert limits.lower998[0] == pytest.approx(0.9 - 3.090232 * se, rel=1e-6)
    assert limits.upper998[0] == pytest.approx(0.9 + 3.090232 * se, rel=1e-6)


def test_limits_widen_as_n_shrinks():
    limits = funnel_limits([10, 50, 200, 1000], 0.85)
    assert np.all(np.diff(limits.lower998) > 0)
    assert np.all(np.diff(limits.upper95) < 0)
    assert np.all(limits.lower998 <= limits.lower95)


def test_limits_are_clipped_to_unit_interval():
    limits = funnel_limits([2], 0.95)
    assert limits.upper998[0] == 1.0 and limits.lower998[0] >= 0.0


def test_overdispersion_widens_limits():
    assert funnel_limits([50], 0.9, phi=2.0).lower998[0] < funnel_limits([50], 0.9).lower998[0]


def test_overdispersion_estimate():
    rng = np.random.default_rng(2)
    n = np.full(200, 60)
    binomial = rng.binomial(n, 0.9) / n
    assert overdispersion(binomial, n, 0.9) == pytest.approx(1.0, abs=0.15)
    spread = rng.binomial(n, rng.beta(9, 1, size=200)) / n
    assert overdispersion(spread, n, 0.9) > 2.0
    assert overdispersion([0.5], [10], 0.9) == 1.0


def test_winsorising_limits_an_outlier():
    n = np.full(20, 100)
    rates = np.full(20, 0.9)
    rates[0] = 0.2
    assert overdispersion(rates, n, 0.9) < np.mean(z_scores(rates, n, 0.9) ** 2)


def test_classify_low_and_high():
    labels = classify([0.70, 0.88, 0.999, 0.70], [200, 200, 2000, 5], 0.9)
    assert list(labels) == ["LOW", "IN", "HIGH", "IN"]
    assert is_low(0.78, 200, 0.9)
    assert not is_low(0.78, 200, 0.9, phi=6.0)


def test_bad_target_refused():
    with pytest.raises(ValueError):
        funnel_limits([10], 1.0)
