"""Harbor's calendar: a window of whole months ending on a month's last day, as day ordinals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Window:
    """``months`` whole months ending with the month of ``end`` (month 1 is the first)."""

    end: date
    months: int

    def start_of(self, month: int) -> int:
        """Ordinal of the first day of window month ``month`` (may be <= 0 or > months)."""
        index = self.end.year * 12 + self.end.month - 1 - self.months + month
        return date(index // 12, index % 12 + 1, 1).toordinal()

    def end_of(self, month: int) -> int:
        """Ordinal of the last day of window month ``month``."""
        return self.start_of(month + 1) - 1

    def label(self, month: int) -> str:
        """``YYYY-MM`` of window month ``month``."""
        return date.fromordinal(self.start_of(month)).strftime("%Y-%m")

    def month_of(self, ordinal: int) -> int:
        """The window month a day falls in (<= 0 before the window)."""
        day = date.fromordinal(ordinal)
        return day.year * 12 + day.month - (self.end.year * 12 + self.end.month) + self.months

    @property
    def first_day(self) -> int:
        """Ordinal of the window's first day."""
        return self.start_of(1)

    @property
    def last_day(self) -> int:
        """Ordinal of the window's last day."""
        return self.end.toordinal()
