"""The simulated calendar (window of months ending at a date) and the planted-signal plan."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Frame:
    """``months`` whole calendar months ending with the month of ``end`` (inclusive).

    Days are proleptic ordinals (``date.toordinal``). Window month 1 is the first month; month
    0, -1, … are before the window (history).
    """

    end: date
    months: int
    history_months: int = 3
    starts: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        first = _add_months(date(self.end.year, self.end.month, 1), -(self.months - 1))
        starts = tuple(
            _add_months(first, k).toordinal() for k in range(-self.history_months, self.months + 1)
        )
        object.__setattr__(self, "starts", starts)

    @property
    def start_day(self) -> int:
        """Ordinal of the first day of window month 1."""
        return self.starts[self.history_months]

    @property
    def end_day(self) -> int:
        """Ordinal of the last simulated day (``end``)."""
        return self.end.toordinal()

    def month_of(self, day: float) -> int:
        """Window month number of a day (1 = first window month; <= 0 before the window)."""
        return bisect.bisect_right(self.starts, day) - self.history_months

    def month_start(self, month: int) -> int:
        """First day (ordinal) of a window month (may be <= 0 for history months)."""
        return self.starts[month - 1 + self.history_months]

    def month_end(self, month: int) -> int:
        """Last day (ordinal) of a window month, capped at ``end``."""
        return min(self.starts[month + self.history_months] - 1, self.end_day)

    def label(self, month: int) -> str:
        """``YYYY-MM`` of a window month."""
        day = date.fromordinal(self.month_start(month))
        return f"{day.year:04d}-{day.month:02d}"

    def window(self) -> range:
        """Window month numbers 1..months."""
        return range(1, self.months + 1)

    def metric_months(self) -> range:
        """Months whose metrics are computed: the history months and the window."""
        return range(1 - self.history_months, self.months + 1)


@dataclass(frozen=True)
class Plan:
    """Where and how strongly the signals of ANALYTICS.md §10 are planted."""

    decline_department: str = "D03"
    decline_competency: str = "sepsis-recognition"
    decline_start_month: int = 7
    # 0.6: the realised retention-readiness decline over months 7-18 is the design's ~2 pp/month
    # (median -1.9 over 50 seeds; 0.35 gave only -1.2)
    decline_skip: float = 0.6
    decline_penalty_per_month: float = 0.15
    protocol_competency: str = "high-alert-medications"
    protocol_month: int = 10
    protocol_day: int = 15
    retrain_due_days: int = 60
    carryover: float = 0.6
    falls_department: str = "D04"
    falls_competency: str = "falls-prevention"
    falls_start_month: int = 4
    falls_skip: float = 0.45
    falls_lag_months: int = 2
    falls_irr_per_10pp: float = 1.5
    falls_gap_reference: float = 0.05
    near_miss_department: str = "D17"
    near_miss_start_month: int = 9
    near_miss_multiplier: float = 1.5
    tiny_department: str = "D18"
    tiny_role: str = "RT"
    tiny_size: int = 4

    def skip_probability(self, department: str, competency: str, month: int) -> float:
        """Chance a due recertification is skipped (lapses) in a planted cell, else 0."""
        if (
            department == self.decline_department
            and competency == self.decline_competency
            and month >= self.decline_start_month
        ):
            return self.decline_skip
        if (
            department == self.falls_department
            and competency == self.falls_competency
            and month >= self.falls_start_month
        ):
            return self.falls_skip
        return 0.0

    def logit_penalty(self, department: str, competency: str, month: int) -> float:
        """Growing item-difficulty penalty in the declining cell (more failed first attempts)."""
        if (
            department == self.decline_department
            and competency == self.decline_competency
            and month >= self.decline_start_month
        ):
            return self.decline_penalty_per_month * (month - self.decline_start_month + 1)
        return 0.0
