"""The planted signals of one Harbor hospital, drawn from the seed (ANALYTICS.md §10)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np

from analytics.simulate.harbor.calendar import Window


@dataclass(frozen=True)
class Decline:
    """From ``start_month`` on, each renewal due is skipped with ``skip`` probability."""

    id: str
    department_id: str
    competency_id: str
    start_month: int
    skip: float


@dataclass(frozen=True)
class ProtocolChange:
    """A protocol change; with ``invalidates_prior`` everyone retrains after ``day``."""

    competency_id: str
    day: int
    invalidates_prior: bool
    retrain_due_days: int


@dataclass(frozen=True)
class Plan:
    """Every planted signal; everything not named here is in control."""

    declines: tuple[Decline, ...]
    low: tuple[str, str]
    low_share: float
    wave: tuple[str, int, int]
    near_miss: tuple[str, int, float]
    tiny: str
    changes: tuple[ProtocolChange, ...]
    association: tuple[str, str, float, int]
    null_pair: tuple[str, str]


def _month_end_day(window: Window, month: int, rng: np.random.Generator) -> int:
    """A day from 29 to the month's last (the month is chosen to have at least a 29th)."""
    first = date.fromordinal(window.start_of(month))
    last = calendar.monthrange(first.year, first.month)[1]
    return window.start_of(month) + int(rng.integers(28, last))


def draw_plan(window: Window, rng: np.random.Generator) -> Plan:
    """The seed's plan: months and days vary by seed, the units and competencies do not."""
    n = window.months
    late = int(n * 0.55)
    change_months = rng.choice(np.arange(9, n - 3), size=2, replace=False)
    return Plan(
        declines=(
            Decline("steep_decline", "BAY-ORTH", "HH-C101", int(rng.integers(late, n - 5)), 0.8),
            Decline("subtle_decline", "NG-GER", "HH-C102", int(rng.integers(late, n - 5)), 0.3),
        ),
        low=("NG-REHAB", "HH-C107"),
        low_share=0.24,
        wave=("BAY-ED", int(rng.integers(late, n - 2)), 20),
        near_miss=("BAY-CARD", int(rng.integers(late - 2, n - 5)), 4.0),
        tiny="RS-HOSP",
        changes=(
            ProtocolChange("HH-C106", _month_end_day(window, int(change_months[0]), rng), True, 45),
            ProtocolChange(
                "HH-C109",
                window.start_of(int(change_months[1])) + int(rng.integers(0, 28)),
                True,
                30,
            ),
        ),
        association=("medication", "HH-C101", 1.6, 2),
        null_pair=("fall", "HH-C102"),
    )
