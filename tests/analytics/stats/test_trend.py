"""Known-answer tests for Mann-Kendall (Hamed-Rao), Sen's slope and Benjamini-Hochberg."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.stats.trend import bh_qvalues, hamed_rao_correction, mann_kendall, sens_slope

# An AR(1) series whose detrended ranks are significantly autocorrelated. Reference values
# from pymannkendall 1.4.3 (original_test / hamed_rao_modification_test).
AR1 = [
    0.0,
    -1.7,
    -0.92,
    -0.53,
    -1.66,
    -1.81,
    -1.31,
    -1.9,
    -1.43,
    -0.97,
    -0.78,
    -1.22,
    -0.41,
    0.36,
    0.22,
    -1.01,
    -0.23,
    -1.01,
]


def test_monotone_decreasing_series():
    result = mann_kendall(np.arange(10, 0, -1), hamed_rao=False)
    assert result.s == -45
    assert result.var_s == pytest.approx(10 * 9 * 25 / 18)
    assert result.z == pytest.approx(-44 / math.sqrt(125))
    assert result.p_decreasing == pytest.approx(4.15e-5, rel=0.01)
    assert result.tau == -1


def test_monotone_series_has_no_autocorrelation_correction():
    assert mann_kendall(np.arange(12.0)).correction == 1.0


def test_ties_reduce_the_variance():
    result = mann_kendall([1, 1, 2, 2, 3, 3], hamed_rao=False)
    assert result.var_s == pytest.approx((6 * 5 * 17 - 3 * (2 * 1 * 9)) / 18)


def test_original_test_matches_reference():
    result = mann_kendall(AR1, hamed_rao=False)
    assert result.s == 38
    assert result.var_s == pytest.approx(696.0)
    assert result.p_two_sided == pytest.approx(0.16077154674467664)


def test_hamed_rao_matches_reference():
    result = mann_kendall(AR1)
    assert result.var_s == pytest.approx(457.0989304812834)
    assert result.z == pytest.approx(1.7305996896723255)
    assert result.p_two_sided == pytest.approx(0.08352318708979811)
    assert result.p_increasing == pytest.approx(0.08352318708979811 / 2)
    assert hamed_rao_correction(AR1) == pytest.approx(457.0989304812834 / 696.0)


def test_readiness_decline_reference():
    series = [0.91, 0.92, 0.90, 0.93, 0.91, 0.92, 0.90, 0.89, 0.88, 0.87, 0.85, 0.84]
    result = mann_kendall(series)
    assert result.z == pytest.approx(-3.176823863061303)
    assert result.p_decreasing == pytest.approx(0.0014889743702912739 / 2)
    assert sens_slope(series).slope == pytest.approx(-0.007888888888888897)


def test_short_series_is_not_a_trend():
    result = mann_kendall([0.5, 0.4])
    assert result.p_decreasing == 1.0 and result.s == 0


def test_nan_points_are_skipped():
    assert mann_kendall([5, np.nan, 4, 3, 2]).s == mann_kendall([5, 4, 3, 2]).s


def test_sen_slope_recovers_a_noisy_line():
    rng = np.random.default_rng(7)
    x = np.arange(24)
    y = 0.9 - 0.02 * x + rng.normal(0, 0.01, size=24)
    result = sens_slope(y)
    assert result.low < -0.02 < result.high
    assert result.slope == pytest.approx(-0.02, abs=0.002)
    assert result.low < result.slope < result.high


def test_sen_slope_uses_given_x():
    assert sens_slope([1.0, 2.0, 3.0], x=[0, 2, 4]).slope == pytest.approx(0.5)


def test_sen_slope_degenerate_is_nan():
    assert math.isnan(sens_slope([1.0]).slope)


def test_bh_hand_computed():
    p = [0.01, 0.04, 0.03, 0.20]
    # sorted 0.01, 0.03, 0.04, 0.20 -> p*m/rank = 0.04, 0.06, 0.0533, 0.20
    # -> step-up minimum from the top: 0.04, 0.0533, 0.0533, 0.20
    q = bh_qvalues(p)
    assert q[0] == pytest.approx(0.04)
    assert q[1] == pytest.approx(0.04 * 4 / 3)
    assert q[2] == pytest.approx(0.04 * 4 / 3)
    assert q[3] == pytest.approx(0.20)


def test_bh_keeps_nan_out_of_the_family():
    q = bh_qvalues([0.01, np.nan, 0.04])
    assert math.isnan(q[1])
    assert q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.04)
