"""Harbor's workforce: headcounts per unit, turnover with replacement, a hiring wave."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.simulate.harbor.calendar import Window
from analytics.simulate.harbor.catalogue import (
    AGENCY_HOMEPAGE,
    MAIL_DOMAIN,
    SSO_HOMEPAGE,
    UNITS,
    Unit,
    mix_of,
)

MONTHLY_LEAVING = 0.008


@dataclass
class Member:
    """One person on the roster; ``ability`` is the chance of answering an item correctly."""

    person_id: str
    department_id: str
    role_code: str
    hire: int
    leave: int | None
    ability: float
    mbox: str | None
    account: tuple[str, str] | None
    chronic: bool = False

    @property
    def agency(self) -> bool:
        """Agency travellers log in through the agency portal only."""
        return self.role_code == "JC4101"


def unit_sizes(staff: int) -> dict[str, int]:
    """Headcount per unit: planted units keep theirs, the others scale to reach ``staff``.

    Below the planted units' own total plus 4 per other unit (a test-size hospital) every unit
    scales, with at least 4 staff each: the plants are then present but not study-sized.
    """
    fixed = sum(u.size for u in UNITS if u.planted)
    free = sum(u.size for u in UNITS if not u.planted)
    others = sum(1 for u in UNITS if not u.planted)
    if staff < fixed + 4 * others:
        total = fixed + free
        return {u.department_id: max(4, round(u.size * staff / total)) for u in UNITS}
    factor = (staff - fixed) / free
    return {u.department_id: u.size if u.planted else max(4, round(u.size * factor)) for u in UNITS}


class Workforce:
    """Builds the roster; draws from its own RNG in a fixed order."""

    def __init__(self, window: Window, rng: np.random.Generator, history_start: int) -> None:
        self.window = window
        self.rng = rng
        self.history_start = history_start
        self.people: list[Member] = []

    def _identity(self, number: int, agency: bool) -> tuple[str | None, tuple[str, str] | None]:
        if agency:
            return None, (AGENCY_HOMEPAGE, f"tw{number * 7919 % 1000003:07d}")
        mbox = f"mailto:e{number:06d}@{MAIL_DOMAIN}"
        sso = (SSO_HOMEPAGE, f"E{number:06d}") if self.rng.random() < 0.45 else None
        return mbox, sso

    def hire(self, unit: Unit, role: str, day: int) -> Member:
        """Add one person hired on ``day``."""
        number = 100000 + len(self.people) * 13 + int(self.rng.integers(0, 13))
        mbox, account = self._identity(number, role == "JC4101")
        member = Member(
            f"E{number:06d}",
            unit.department_id,
            role,
            day,
            None,
            float(np.clip(self.rng.beta(12, 1.6), 0.6, 0.99)),
            mbox,
            account,
        )
        self.people.append(member)
        return member

    def _roles(self, unit: Unit, n: int) -> list[str]:
        codes = [c for c, _ in mix_of(unit)]
        shares = np.array([s for _, s in mix_of(unit)])
        return [codes[i] for i in self.rng.choice(len(codes), size=n, p=shares / shares.sum())]

    def build(
        self, sizes: dict[str, int], wave: tuple[str, int, int], low: tuple[str, float]
    ) -> list[Member]:
        """Initial staff (hired before the history starts), leavers replaced, and the wave.

        In the ``low`` unit the first ``share`` of the initial posts are chronically
        non-compliant (their holders never train); a replacement inherits the post.
        """
        last = self.window.last_day
        for unit in UNITS:
            n = sizes[unit.department_id]
            chronic = round(low[1] * n) if unit.department_id == low[0] else 0
            for k, role in enumerate(self._roles(unit, n)):
                tenure = int(self.rng.integers(60, 3650))
                member = self.hire(unit, role, self.history_start - tenure)
                member.chronic = k < chronic
                self._turnover(unit, member, last)
        wave_unit, wave_month, hires = wave
        unit = next(u for u in UNITS if u.department_id == wave_unit)
        first = self.window.start_of(wave_month)
        for role in self._roles(unit, hires):
            self.hire(unit, role, first + int(self.rng.integers(0, 20)))
        return self.people

    def _turnover(self, unit: Unit, member: Member, last: int) -> None:
        """Leavers (monthly hazard) are replaced by one hire 15-45 days later."""
        day = max(member.hire, self.history_start)
        while True:
            stay = int(self.rng.exponential(30.4 / MONTHLY_LEAVING))
            if day + stay >= last:
                return
            member.leave = day + stay
            day = member.leave + int(self.rng.integers(15, 46))
            if day >= last:
                return
            chronic = member.chronic
            member = self.hire(unit, member.role_code, day)
            member.chronic = chronic
