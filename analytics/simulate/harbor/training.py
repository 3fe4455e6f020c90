"""Harbor's training process: renewals per (person, competency), attempts, BLS cards.

Each required pair runs a renewal loop from the start of the history (a virtual pass before it
sets a stationary phase). Rolling competencies renew around their due date; cohort competencies
renew in their cohort month each year. Planted declines skip renewals, chronic posts of the
LOW cell never train, and an invalidating protocol change brings a retraining. Attempts answer
4 items; a pass needs 3 of 4 right. Attempts are kept (for statements) from the
recertification interval + 70 days before the window on; earlier ones only set the state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from analytics.simulate.harbor.calendar import Window
from analytics.simulate.harbor.catalogue import INITIAL_DUE_DAYS, SKILLS, Skill, required
from analytics.simulate.harbor.plan import Plan
from analytics.simulate.harbor.staff import Member

MASTERY = 0.75


@dataclass(frozen=True)
class Attempt:
    """One assessment attempt at ``second`` (epoch seconds, UTC)."""

    person: int
    skill: int
    second: int
    correct: tuple[bool, ...]

    @property
    def passed(self) -> bool:
        """Whether the score reaches the mastery threshold."""
        return sum(self.correct) / len(self.correct) >= MASTERY


@dataclass
class Training:
    """Attempts, pass days per (person, skill), and BLS cards (person, issued, expires)."""

    attempts: list[Attempt] = field(default_factory=list)
    passes: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    cards: list[tuple[int, int, int]] = field(default_factory=list)


EPOCH = date(1970, 1, 1).toordinal()


class Trainer:
    """Simulates every required pair in roster order, then every BLS card."""

    def __init__(
        self, window: Window, plan: Plan, rng: np.random.Generator, history_start: int
    ) -> None:
        self.window, self.plan = window, plan
        self.rng = random.Random(int(rng.integers(2**63)))
        self.history_start = history_start
        self.declines = {
            (d.department_id, d.competency_id): (window.start_of(d.start_month), d.skip)
            for d in plan.declines
        }
        self.out = Training()

    def run(self, people: list[Member]) -> Training:
        """Simulate all pairs and cards."""
        for p, member in enumerate(people):
            for skill in required(member.role_code):
                s = SKILLS.index(skill)
                if skill.cert_only:
                    self._cards(p, member, skill)
                else:
                    self.out.passes[(p, s)] = self._pair(p, s, member, skill)
        return self.out

    def _u(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def _virtual_last(self, skill: Skill) -> int:
        """A pass before the history: a stationary phase of the renewal cycle."""
        if skill.cohort_month:
            year = date.fromordinal(self.history_start).year - 1
            return date(year, skill.cohort_month, self._u(1, 28)).toordinal()
        return self.history_start - self._u(0, skill.recert_days - 1)

    def _next(self, member: Member, skill: Skill, last: int) -> int:
        """The day the next renewal is attempted after a pass on ``last``."""
        due = last + skill.recert_days
        if skill.cohort_month:
            year = date.fromordinal(last + 180).year
            target = date(year, skill.cohort_month, 1).toordinal()
            if target <= last + 180:
                target = date(year + 1, skill.cohort_month, 1).toordinal()
            on_time = self.rng.random() < 0.9
            day = target + (self._u(0, 27) if on_time else self._u(28, 70))
        else:
            day = due - self._u(0, 45) if self.rng.random() < 0.78 else due + self._u(1, 150)
        cell = (member.department_id, skill.competency_id)
        start, skip = self.declines.get(cell, (None, 0.0))
        if start is not None and due >= start and self.rng.random() < skip:
            day = due + self._u(150, 300)
        for change in self.plan.changes:
            mine = change.competency_id == skill.competency_id and change.invalidates_prior
            if mine and last < change.day <= day:
                day = change.day + self._u(2, change.retrain_due_days + 15)
        return day

    def _pair(self, p: int, s: int, member: Member, skill: Skill) -> list[int]:
        end = member.leave if member.leave is not None else self.window.last_day
        if member.hire >= self.history_start:
            on_time = self.rng.random() < 0.9
            day = member.hire + (self._u(3, INITIAL_DUE_DAYS - 5) if on_time else self._u(61, 100))
        else:
            day = self._next(member, skill, self._virtual_last(skill))
        passes: list[int] = []
        if member.chronic and (member.department_id, skill.competency_id) == self.plan.low:
            return passes
        while day <= end:
            attempt = self._attempt(p, s, member, skill, day)
            if attempt.passed:
                passes.append(day)
                day = self._next(member, skill, day)
            else:
                day += self._u(1, 10)
        return passes

    def _attempt(self, p: int, s: int, member: Member, skill: Skill, day: int) -> Attempt:
        n = skill.items or 4
        correct = tuple(self.rng.random() < member.ability for _ in range(n))
        second = (day - EPOCH) * 86400 + self._u(7 * 3600, 21 * 3600)
        attempt = Attempt(p, s, second, correct)
        if day >= self.window.first_day - skill.recert_days - 70:
            self.out.attempts.append(attempt)
        return attempt

    def _cards(self, p: int, member: Member, skill: Skill) -> None:
        """BLS cards: valid ``recert_days``, renewed before expiry (some a little late)."""
        end = member.leave if member.leave is not None else self.window.last_day
        issued = min(member.hire, self.history_start) - self._u(0, skill.recert_days - 30)
        while issued <= end:
            expires = issued + skill.recert_days
            if expires > self.history_start:
                self.out.cards.append((p, issued, expires))
            late = self.rng.random() < 0.08
            issued = expires + self._u(1, 45) if late else expires - self._u(0, 60)
