"""NB linkage: recovers a planted IRR; degenerate inputs are 'not estimable', never a crash."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats.linkage import fit_linkage, lag_gap, month_index


def simulate(seed: int, irr: float = 1.5, depts: int = 16, months: int = 24, lag: int = 2):
    rng = np.random.default_rng(seed)
    d = np.repeat([f"D{i:02d}" for i in range(depts)], months)
    m = np.tile(np.arange(months), depts)
    pd = rng.uniform(600, 1000, size=depts * months)
    steps = rng.normal(0, 0.02, size=(depts, months))
    gap = np.clip(0.1 + np.cumsum(steps, axis=1), 0, 1).ravel()
    lagged = lag_gap(d, m, gap, lag)
    dept_effect = np.repeat(rng.normal(0, 0.3, size=depts), months)
    month_effect = np.tile(rng.normal(0, 0.1, size=months), depts)
    mu = pd / 1000 * 4.0 * np.exp(dept_effect + month_effect)
    mu *= irr ** (np.nan_to_num(lagged, nan=0.1) / 0.1)
    y = rng.poisson(mu * rng.gamma(10, 1 / 10, size=len(mu)))
    return y, pd, d, m, gap


def test_month_index_accepts_iso_months():
    assert list(month_index(["2024-12", "2025-01"])) == [24299, 24300]


def test_lag_gap_shifts_within_department():
    lagged = lag_gap(["A", "A", "A", "B"], [1, 2, 3, 3], [0.1, 0.2, 0.3, 0.9], 2)
    assert np.isnan(lagged[0]) and lagged[2] == 0.1 and np.isnan(lagged[3])


def test_recovers_planted_irr():
    result = fit_linkage(*simulate(4), lag=2)
    assert result.estimable, result.reason
    assert result.ci_low < 1.5 < result.ci_high
    assert result.irr == pytest.approx(1.5, rel=0.2)
    assert result.p_value < 0.01
    assert result.label == "association, not causation"


def test_null_effect_is_not_significant():
    result = fit_linkage(*simulate(8, irr=1.0))
    assert result.estimable and result.ci_low < 1.0 < result.ci_high


def test_no_events_is_not_estimable():
    y, pd, d, m, gap = simulate(1)
    result = fit_linkage(np.zeros_like(y), pd, d, m, gap)
    assert not result.estimable and result.reason == "no events"


def test_constant_gap_is_singular():
    y, pd, d, m, _ = simulate(1)
    result = fit_linkage(y, pd, d, m, np.full(len(y), 0.2))
    assert not result.estimable and "singular" in result.reason


def test_too_few_rows():
    result = fit_linkage([3, 4], [100, 100], ["A", "A"], [0, 1], [0.1, 0.2], lag=0)
    assert not result.estimable


def test_rows_without_patient_days_are_dropped():
    y, pd, d, m, gap = simulate(4)
    pd[:24] = 0
    result = fit_linkage(y, pd, d, m, gap)
    assert result.estimable and result.n_obs == (16 - 1) * (24 - 2)
