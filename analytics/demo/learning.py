"""Seeded learning histories: recertification cycles, attempts, failures, lapses, certifications.

Each required (person, competency) pair is simulated independently. A learner trains near
the due date (some late), answers ``items`` questions each correct with probability
``sigmoid(2.3 + ability - difficulty + (R - 0.5) - penalty)`` where ``R = 2^(-days/h)`` is the
retention since the last training (0 before any), passes at a scaled score >= 0.8 and retries
a few days after a failure. Planted cells skip recertifications and get harder items; an
invalidating protocol change pulls the next training forward to its retrain window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analytics.demo.catalog import COMPETENCIES, Competency
from analytics.demo.frame import Frame, Plan
from analytics.demo.workforce import Person

EPOCH = 719163  # date(1970, 1, 1).toordinal()
MASTERY = 0.8
INITIAL_DUE_DAYS = 30


@dataclass(slots=True)
class Attempt:
    """One launched assessment: start (epoch seconds), item outcomes, verdict, duration (s)."""

    start: int
    person: int
    competency: int
    correct: tuple[bool, ...]
    passed: bool
    duration: int
    click_through: bool
    first: bool = False


@dataclass
class PairHistory:
    """The evidence days (passes or certification issues) of one required pair."""

    person: Person
    competency: int
    interval: int
    passes: list[int] = field(default_factory=list)


@dataclass
class Learning:
    """Everything simulated: attempts, certifications and per-pair histories."""

    attempts: list[Attempt] = field(default_factory=list)
    certifications: list[tuple[str, str, int, int, str]] = field(default_factory=list)
    histories: list[PairHistory] = field(default_factory=list)


CERT_ISSUERS = {"nrp": "American Academy of Pediatrics"}


class Simulator:
    """Simulates every required pair; consumes the RNG in a fixed order (person, competency)."""

    def __init__(self, frame: Frame, plan: Plan, rng: np.random.Generator) -> None:
        self.frame = frame
        self.plan = plan
        self.rng = rng
        self.out = Learning()
        self.change_day = frame.month_start(plan.protocol_month) + plan.protocol_day - 1

    def run(self, people: list[Person], requirements: dict[str, dict[str, int]]) -> Learning:
        """Simulate all pairs of all people, in roster order."""
        index = {c.competency_id: i for i, c in enumerate(COMPETENCIES)}
        for person in people:
            for competency_id, interval in requirements[person.role_code].items():
                self._pair(person, index[competency_id], interval)
        return self.out

    def _uniform(self, low: float, high: float) -> int:
        return int(self.rng.uniform(low, high))

    def _first_cycle(self, person: Person, comp: Competency, interval: int) -> int:
        start = self.frame.start_day
        if person.hire >= start - 30:
            day = person.hire + self._uniform(2, INITIAL_DUE_DAYS * 1.3)
            month = self.frame.month_of(day)
            skip = self.plan.skip_probability(person.department_id, comp.competency_id, month)
            if skip and self.rng.random() < skip:
                day += self._uniform(180, 420)
            return day
        day = start - self._uniform(1, interval)
        if self.rng.random() < 0.04:
            day = start - interval - self._uniform(1, 45)
        return max(day, person.hire + self._uniform(2, INITIAL_DUE_DAYS))

    def _next_cycle(self, person: Person, comp: Competency, last_pass: int, interval: int) -> int:
        due = last_pass + interval
        late = self.rng.random() < 0.07
        day = due + self._uniform(1, 60) if late else due - self._uniform(0, 40)
        if (
            comp.competency_id == self.plan.protocol_competency
            and last_pass < self.change_day < day
        ):
            due_days = self.plan.retrain_due_days
            on_time = self.rng.random() < 0.85
            offset = self._uniform(5, due_days) if on_time else due_days + self._uniform(1, 45)
            return self.change_day + offset
        month = self.frame.month_of(day)
        skip = self.plan.skip_probability(person.department_id, comp.competency_id, month)
        if skip and self.rng.random() < skip:
            day += self._uniform(180, 420)
        return day

    def _pair(self, person: Person, comp_index: int, interval: int) -> None:
        comp = COMPETENCIES[comp_index]
        history = PairHistory(person, comp_index, interval)
        self.out.histories.append(history)
        stop = self.frame.end_day if person.leave is None else min(person.leave, self.frame.end_day)
        day = self._first_cycle(person, comp, interval)
        last_training: int | None = None
        while day <= stop:
            if comp.cert:
                expires = day + interval
                issuer = CERT_ISSUERS.get(comp.competency_id, "American Heart Association")
                self.out.certifications.append(
                    (person.person_id, comp.competency_id, day, expires, issuer)
                )
                history.passes.append(day)
                late = self.rng.random() < 0.05
                day = expires + self._uniform(1, 45) if late else expires - self._uniform(0, 60)
                continue
            passed_day, last_training = self._cycle(person, comp_index, day, stop, last_training)
            if passed_day is None:
                day = last_training + 30
                continue
            history.passes.append(passed_day)
            day = self._next_cycle(person, comp, passed_day, interval)

    def _cycle(
        self, person: Person, comp_index: int, day: int, stop: int, last: int | None
    ) -> tuple[int | None, int]:
        """Up to four attempts a few days apart; returns (pass day or None, last attempt day)."""
        for number in range(4):
            attempt = self._attempt(person, comp_index, day, last)
            attempt.first = number == 0
            self.out.attempts.append(attempt)
            last = day
            if attempt.passed:
                return day, day
            day += self._uniform(1, 11)
            if day > stop:
                break
        return None, last if last is not None else day

    def _attempt(self, person: Person, comp_index: int, day: int, last: int | None) -> Attempt:
        comp = COMPETENCIES[comp_index]
        retention = 0.0 if last is None else 2.0 ** (-(day - last) / comp.half_life_days)
        month = self.frame.month_of(day)
        penalty = self.plan.logit_penalty(person.department_id, comp.competency_id, month)
        logit = 2.3 + person.ability - comp.difficulty + (retention - 0.5) - penalty
        q = 1.0 / (1.0 + math.exp(-logit))
        draws = self.rng.random(comp.items + 3)
        correct = tuple(bool(v < q) for v in draws[: comp.items])
        passed = sum(correct) / comp.items >= MASTERY
        click_through = passed and draws[-1] < 0.015
        if click_through:
            duration = 30 + int(90 * draws[-2])
        else:
            duration = int(60 * (6 + 2 * comp.items) * math.exp(0.35 * (draws[-2] - 0.5) * 3))
        start = (day - EPOCH) * 86400 + int(25200 + 54000 * draws[-3])
        return Attempt(start, person.index, comp_index, correct, passed, duration, click_through)
