"""NB linkage: recovers a planted IRR; degenerate inputs are 'not estimable', never a crash."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats.linkage import Guards, _nb_glm, fit_linkage, lag_gap, month_index


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


def _separated(seed: int, stray_event: bool = False):
    """Events only where the lagged gap is at its highest (0.5): the MLE of beta is +inf."""
    rng = np.random.default_rng(seed)
    d = np.repeat([f"D{i}" for i in range(8)], 14)
    m = np.tile(np.arange(14), 8)
    gap = rng.uniform(0.02, 0.3, size=len(d))
    gap[rng.random(len(d)) < 0.3] = 0.5
    lagged = lag_gap(d, m, gap, 2)
    y = np.where(lagged == 0.5, rng.poisson(2.0, size=len(d)), 0)
    if stray_event:  # one event below the top: finite but useless estimate
        y[np.flatnonzero(np.isfinite(lagged) & (lagged < 0.5))[0]] = 1
    return y, np.full(len(y), 800.0), d, m, gap


def test_separation_is_not_estimable_never_an_irr_of_1e31():
    result = fit_linkage(*_separated(3))
    assert not result.estimable and "separation" in result.reason
    assert result.irr is None and result.ci_low is None and result.ci_high is None


def test_separation_old_overflow_case():
    """The seed where the old fit reported an IRR of 2.5e61 with a 0-inf CI."""
    result = fit_linkage(*_separated(7, stray_event=True))
    assert not result.estimable and result.irr is None


def test_a_gap_that_barely_varies_gives_no_thousandfold_interval():
    y, pd, d, m, gap = simulate(0, depts=6, months=14)
    gap = 0.1 + np.random.default_rng(0).uniform(0, 0.012, size=len(gap))
    result = fit_linkage(y, pd, d, m, gap)  # the old fit: IRR 22, CI 0.55-878
    assert not result.estimable and result.reason.startswith("too imprecise")


def test_too_few_events_is_not_estimable():
    y, pd, d, m, gap = simulate(4)
    few = np.zeros_like(y)
    few[[30, 60, 90, 120, 150]] = 1
    result = fit_linkage(few, pd, d, m, gap)
    assert not result.estimable and result.reason.startswith("too few events")


def test_estimable_intervals_are_finite_and_bounded():
    for seed in range(5):
        r = fit_linkage(*simulate(seed, depts=6, months=14))
        if r.estimable:
            assert np.isfinite(r.ci_low) and np.isfinite(r.ci_high)
            assert r.ci_high / r.ci_low <= Guards().max_ci_ratio


def _sandwich_se(y, x, offset, alpha, groups):
    """Clustered SE of an NB2 GLM at fixed alpha: observed-information sandwich, by hand."""
    import statsmodels.api as sm

    fit = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit()
    mu = fit.mu
    w = mu * (1 + alpha * y) / (1 + alpha * mu) ** 2  # observed information, log link
    bread = np.linalg.inv(x.T @ (x * w[:, None]))
    score = x * ((y - mu) / (1 + alpha * mu))[:, None]
    meat = sum(np.outer(s, s) for s in (score[groups == g].sum(axis=0) for g in np.unique(groups)))
    n, k, g = len(y), x.shape[1], len(np.unique(groups))
    factor = g / (g - 1) * (n - 1) / (n - k)
    return np.sqrt(np.diag(factor * bread @ meat @ bread))


def test_cluster_robust_se_matches_the_sandwich_formula():
    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(12), 10)
    x = np.column_stack([rng.normal(size=120), np.ones(120), rng.normal(size=120)])
    shared = np.repeat(rng.normal(0, 0.4, size=12), 10)  # within-cluster correlation
    y = rng.poisson(np.exp(0.5 + 0.3 * x[:, 0] + shared)).astype(float)
    offset = np.zeros(120)
    fit = _nb_glm(y, x, offset, 0.2, groups)
    assert np.allclose(fit.bse, _sandwich_se(y, x, offset, 0.2, groups), rtol=1e-6)
    model_based = _nb_glm(y, x, offset, 0.2).bse
    assert fit.bse[1] > model_based[1]  # the shared cluster effect widens the intercept


def test_interval_uses_the_larger_se_and_t_with_g_minus_1_df():
    from scipy.stats import t

    from analytics.stats.linkage import _design, _fit_nb

    y, pd, d, m, gap = simulate(4)
    r = fit_linkage(y, pd, d, m, gap)
    lagged = lag_gap(d, m, gap, 2)
    keep = np.isfinite(lagged)
    x = _design(d[keep], m[keep], lagged[keep])
    groups = np.unique(d[keep], return_inverse=True)[1]
    beta, se, alpha = _fit_nb(y[keep].astype(float), x, np.log(pd[keep]), groups)
    model = _nb_glm(y[keep].astype(float), x, np.log(pd[keep]), alpha).bse[0]
    robust = _nb_glm(y[keep].astype(float), x, np.log(pd[keep]), alpha, groups).bse[0]
    assert se == max(model, robust)
    crit = t.ppf(0.975, 16 - 1)  # wider than the normal 1.96 with 16 departments
    assert r.ci_low == pytest.approx(np.exp(0.1 * (beta - crit * se)))
    assert r.ci_high == pytest.approx(np.exp(0.1 * (beta + crit * se)))
    assert r.p_value == pytest.approx(2 * t.sf(abs(beta / se), 15))
