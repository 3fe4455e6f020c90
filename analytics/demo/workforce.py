"""Seeded staff roster: departments filled by role mix, hires, terminations and replacements."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.demo.catalog import AGENCY_HOMEPAGE, DEPARTMENTS, MBOX_DOMAIN, ROLE_MIX
from analytics.demo.frame import Frame, Plan

MONTHLY_TURNOVER = {"employee": 0.011, "float": 0.015, "contractor": 0.03, "agency": 0.05}


@dataclass
class Person:
    """One staff member; ``hire``/``leave`` are day ordinals (``leave`` exclusive or None)."""

    index: int
    person_id: str
    department_id: str
    role_code: str
    hire: int
    leave: int | None
    fte: float
    employment_type: str
    ability: float

    def active(self, day: int) -> bool:
        """Employed on ``day``."""
        return self.hire <= day and (self.leave is None or day < self.leave)

    @property
    def uses_account(self) -> bool:
        """Agency staff are identified by an agency account, everyone else by mbox."""
        return self.employment_type == "agency"

    def actor(self) -> dict[str, object]:
        """The xAPI Agent for this person (mbox or agency account)."""
        if self.uses_account:
            account = {"homePage": AGENCY_HOMEPAGE, "name": self.person_id}
            return {"objectType": "Agent", "account": account}
        return {"objectType": "Agent", "mbox": f"mailto:{self.person_id}@{MBOX_DOMAIN}"}


def _employment(role: str, rng: np.random.Generator) -> tuple[str, float]:
    if role == "RN_AGENCY":
        return "agency", 1.0
    draw = rng.random()
    if role == "MD" and draw < 0.15:
        return "contractor", 0.5
    if role in ("RN", "RN_CC", "CNA") and draw < 0.06:
        return "float", 0.8
    return "employee", float(rng.choice([1.0, 1.0, 1.0, 0.9, 0.8, 0.6, 0.5]))


def _department_sizes(total: int) -> dict[str, int]:
    weights = np.array([d.weight for d in DEPARTMENTS], dtype=float)
    raw = total * weights / weights.sum()
    return {d.department_id: max(round(r), 3) for d, r in zip(DEPARTMENTS, raw, strict=True)}


class Roster:
    """Builds the staff list: an initial workforce plus replacements for every leaver."""

    def __init__(self, frame: Frame, plan: Plan, rng: np.random.Generator) -> None:
        self.frame = frame
        self.plan = plan
        self.rng = rng
        self.people: list[Person] = []

    def _add(self, dept: str, role: str, hire: int, stable: bool) -> Person:
        kind, fte = _employment(role, self.rng)
        ability = float(self.rng.normal(0.0, 0.6))
        person = Person(
            len(self.people),
            f"P{len(self.people) + 1:05d}",
            dept,
            role,
            hire,
            None,
            fte,
            kind,
            ability,
        )
        self.people.append(person)
        if not stable:
            self._maybe_leave(person)
        return person

    def _maybe_leave(self, person: Person) -> None:
        hazard = MONTHLY_TURNOVER[person.employment_type]
        start = max(person.hire, self.frame.start_day)
        span = self.frame.end_day - start
        if span <= 0:
            return
        tenure_days = float(self.rng.exponential(30.4 / hazard))
        if tenure_days < span:
            person.leave = start + int(tenure_days) + 1
            gap = int(self.rng.integers(14, 61))
            if person.leave + gap <= self.frame.end_day:
                self._add(person.department_id, person.role_code, person.leave + gap, False)

    def build(self, total: int) -> list[Person]:
        """Initial headcount ``total`` (by department weight) plus the tiny unit and hires."""
        sizes = _department_sizes(total)
        for dept in DEPARTMENTS:
            if dept.department_id == self.plan.tiny_department:
                for _ in range(self.plan.tiny_size):
                    hire = self.frame.start_day - int(self.rng.integers(400, 4000))
                    self._add(dept.department_id, self.plan.tiny_role, hire, True)
                continue
            mix = ROLE_MIX[dept.unit_type]
            roles = list(mix)
            probs = np.array([mix[r] for r in roles])
            for role in self.rng.choice(
                roles, size=sizes[dept.department_id], p=probs / probs.sum()
            ):
                tenure = int(self.rng.exponential(1500)) + int(self.rng.integers(0, 90))
                self._add(dept.department_id, str(role), self.frame.start_day - tenure, False)
        return self.people
