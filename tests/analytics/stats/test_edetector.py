"""The renewal-timing e-detector against hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.stats.edetector import Survival, detect, due_log_lr, kaplan_meier

S0 = Survival(0, np.array([0.5, 0.2, 0.1]))  # S0(0) = 0.5, S0(1) = 0.2, S0(>= 2) = 0.1


def test_kaplan_meier_by_hand() -> None:
    """Renewals at -1, 0 and 3 days, one due censored at 2: S = 1, .75, .5, .5, .5, 0."""
    s = kaplan_meier(np.array([-1, 0, 2, 3]), np.array([True, True, False, True]), -2, 4)
    assert s(np.arange(-2, 5)).tolist() == pytest.approx([1, 0.75, 0.5, 0.5, 0.5, 0.0, 0.0])
    assert s(np.array([-9]))[0] == 1.0 and s(np.array([99]))[0] == 0.0


def test_due_log_lr_renewed_and_open() -> None:
    """Renewed: log(1 - pi); open at S0 = 0.2: log((pi + (1 - pi) 0.2) / 0.2)."""
    llr = due_log_lr(np.array([True, False]), np.array([0.9, 0.2]), (0.5,), 0.01)
    assert llr[:, 0] == pytest.approx([math.log(0.5), math.log(3.0)])


def test_floor_caps_one_old_open_due() -> None:
    """S0 = 0 at a long age would be an infinite LR; the floor gives (0.5 + 0.005) / 0.01."""
    llr = due_log_lr(np.array([False]), np.array([0.0]), (0.5,), 0.01)
    assert llr[0, 0] == pytest.approx(math.log(50.5))


def test_three_dues_one_pi() -> None:
    """Due A (month 0) renewed, B and C (month 1) open at ages 1 and 2.

    Lambda_0 = 0.5 x 3 x 5.5 = 8.25 and Lambda_1 = 3 x 5.5 = 16.5: M = 16.5 from month 1.
    """
    r = detect(
        np.array([0, 1, 1]),
        np.array([True, False, False]),
        S0(np.array([5, 1, 2])),
        2,
        (0.5,),
    )
    assert r.log_m == pytest.approx(math.log(16.5))
    assert (r.start, r.n_dues, r.n_open) == (1, 2, 2)
    assert r.expected_open == pytest.approx(0.3)


def test_three_dues_mixture() -> None:
    """pi in (0.25, 0.75): Lambda_1 = (2 x 3.25 + 4 x 7.75) / 2 = 18.75; 0.75 fits best."""
    r = detect(
        np.array([0, 1, 1]),
        np.array([True, False, False]),
        S0(np.array([5, 1, 2])),
        2,
        (0.25, 0.75),
    )
    assert r.log_m == pytest.approx(math.log(18.75))
    assert r.start == 1 and r.pi == 0.75


def test_all_renewed_reads_zero_and_no_dues_is_neutral() -> None:
    r = detect(np.array([0, 1]), np.array([True, True]), np.array([0.5, 0.5]), 3)
    assert r.log_m == 0.0 and r.n_open == 0
    empty = detect(np.array([], dtype=np.int64), np.array([], dtype=bool), np.array([]), 3)
    assert empty.log_m == 0.0 and empty.start == -1


def test_in_control_e_process_has_mean_one() -> None:
    """A due entering at its due date: E[LR] = 1 under S0 (the martingale property)."""
    rng = np.random.default_rng(3)
    s = Survival(-2, np.array([0.8, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05]))
    grid = np.arange(-2, 6)  # day 5 stands for "after the grid" (mass S0(4) = 0.05)
    pmf = np.append(-np.diff(np.concatenate(([1.0], s.s))), s.s[-1])
    times = rng.choice(grid, size=200_000, p=pmf)
    for age in (-1, 0, 3):
        renewed = times <= age
        lr = np.exp(due_log_lr(renewed, s(np.full(len(times), age)), (0.5, 0.9), 1e-9))
        assert lr.mean(axis=0) == pytest.approx([1.0, 1.0], abs=0.02)
