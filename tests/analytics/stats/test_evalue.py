"""E-values (VanderWeele & Ding 2017, worked examples) and Benjamini-Hochberg q-values."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from analytics.stats.evalue import bh_qvalues, e_value, e_value_ci


def test_e_value_of_the_papers_example():
    # Ann Intern Med 2017;167:268: RR 3.9 (95 % CI 1.8-8.7) -> E-values 7.26 and 3.0.
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value_ci(1.8, 8.7) == pytest.approx(3.0, abs=0.005)


def test_protective_ratio_is_inverted_and_null_gives_one():
    assert e_value(0.8) == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))
    assert e_value(1.0) == 1.0
    assert e_value_ci(0.7, 1.2) == 1.0
    assert e_value_ci(0.3, 0.8) == pytest.approx(e_value(0.8))


def test_e_value_rejects_meaningless_ratios():
    with pytest.raises(ValueError):
        e_value(float("inf"))


def test_bh_matches_statsmodels_and_keeps_nan():
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.2, 0.001])
    q = bh_qvalues(p)
    expected = multipletests(p[np.isfinite(p)], method="fdr_bh")[1]
    assert np.isnan(q[2])
    assert np.allclose(q[np.isfinite(p)], expected)
    assert np.all(q[np.isfinite(p)] >= p[np.isfinite(p)])
