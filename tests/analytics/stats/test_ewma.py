"""EWMA chart: exact variance, calibrated limits, signals on a planted drop, rare false alarms."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats.ewma import calibrate_multiplier, ewma_lower, ewma_sigma

N = np.array([30, 28, 31, 29, 25, 32, 30, 27, 33, 30, 29, 31, 28, 30, 26, 31, 30, 29])


def test_sigma_constant_n_approaches_the_asymptote():
    sigma = ewma_sigma([50] * 60, 0.9, 0.2)
    asymptote = np.sqrt(0.2 / (2 - 0.2) * 0.9 * 0.1 / 50)
    assert sigma[0] == pytest.approx(0.2 * np.sqrt(0.09 / 50))
    assert sigma[-1] == pytest.approx(asymptote, rel=1e-6)


def test_zero_n_carries_the_previous_point():
    chart = ewma_lower([27, 0, 20], [30, 0, 30], 0.9)
    assert chart.path[1] == chart.path[0]
    assert np.isnan(chart.lower[1]) and not chart.signals[1]


def test_signals_on_a_planted_drop():
    rng = np.random.default_rng(3)
    p = np.where(np.arange(18) < 6, 0.92, 0.92 - 0.03 * (np.arange(18) - 5))
    chart = ewma_lower(rng.binomial(N, p), N, 0.92, false_alarm=0.01)
    assert chart.signal_index is not None
    assert 6 <= chart.signal_index <= 11


def test_in_control_rarely_signals():
    rng = np.random.default_rng(11)
    alarms = sum(
        ewma_lower(rng.binomial(N, 0.9), N, 0.9, false_alarm=0.02).signal_index is not None
        for _ in range(300)
    )
    assert alarms <= 15  # expected 6 of 300 at a 2 % target


def test_limits_widen_when_n_shrinks():
    chart = ewma_lower([9, 9, 9], [10, 10, 10], 0.9)
    big = ewma_lower([90, 90, 90], [100, 100, 100], 0.9)
    assert chart.lower[-1] < big.lower[-1]


def test_calibration_is_cached_and_seeded():
    a = calibrate_multiplier(tuple(N), 0.9, false_alarm=0.05, reps=4000, seed=1)
    assert calibrate_multiplier(N, 0.9, false_alarm=0.05, reps=4000, seed=1) == a
    assert 1.5 < a < 3.5


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        ewma_lower([11], [10], 0.9)
    with pytest.raises(ValueError):
        calibrate_multiplier([10], 0.9, false_alarm=0)
