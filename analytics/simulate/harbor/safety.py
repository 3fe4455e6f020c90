"""Harbor's census and incident reports.

Counts are negative binomial (gamma-Poisson, shape ``DISPERSION``) around
``patient_days / 1000 x base rate x unit effect x season``. The planted association multiplies
its category's incident rate by ``irr ** (gap / 0.1)``, ``gap`` being the mapped competency's
true gap (1 - compliance) ``lag`` months earlier; the null pair's category ignores its gap.
The near-miss surge multiplies near misses only.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import numpy as np

from analytics.simulate.harbor.calendar import Window
from analytics.simulate.harbor.catalogue import CATEGORIES, SOURCE_SYSTEM, UNITS, mix_of
from analytics.simulate.harbor.plan import Plan
from analytics.simulate.harbor.staff import Member

DISPERSION = 12.0
HARM = ("none", "mild", "moderate", "severe", "death")
HARM_P = (0.42, 0.33, 0.18, 0.06, 0.01)
STAFF_EVENTS = {"workplace_violence", "sharps_exposure"}
Row = dict[str, Any]


class Safety:
    """Builds ``census`` and ``incidents`` rows; draws from its own RNG in a fixed order."""

    def __init__(self, window: Window, plan: Plan, rng: np.random.Generator) -> None:
        self.window, self.plan, self.rng = window, plan, rng
        self.census: list[Row] = []
        self.incidents: list[Row] = []
        self.unit_effect = {u.department_id: float(rng.lognormal(0, 0.2)) for u in UNITS}

    def _headcount(self, people: list[Member], dept: str, day: int) -> tuple[int, int, int]:
        """(employed, agency, hired this month) in ``dept`` on ``day`` (a month end)."""
        first = date.fromordinal(day).replace(day=1).toordinal()
        here = [
            m
            for m in people
            if m.department_id == dept and m.hire <= day and (m.leave is None or m.leave > day)
        ]
        hired = sum(1 for m in here if m.hire >= first)
        return len(here), sum(1 for m in here if m.agency), hired

    def build(self, people: list[Member], gaps: dict[str, list[float | None]]) -> None:
        """Every unit x month: one census row and its incident reports."""
        for unit in UNITS:
            occupancy = float(self.rng.uniform(0.78, 0.93))
            for m in range(1, self.window.months + 1):
                day = self.window.end_of(m)
                when = date.fromordinal(day)
                days = calendar.monthrange(when.year, when.month)[1]
                n, agency, hired = self._headcount(people, unit.department_id, day)
                noise = float(self.rng.normal(1, 0.03))
                pd = round(unit.beds * days * occupancy * noise) if unit.beds else 0
                self.census.append(
                    {
                        "department_id": unit.department_id,
                        "month": self.window.label(m),
                        "patient_days": pd,
                        "staff_hours_worked": round(n * 0.9 * 150.0, 1),
                        "fte": round(n * 0.9, 2),
                        "agency_hours": round(agency * 160.0, 1),
                        "new_hire_count": hired,
                    }
                )
                self._events(unit.department_id, m, pd, n, gaps.get(unit.department_id))

    def _mean(
        self, dept: str, m: int, category: str, pd: float, gap: list[float | None] | None
    ) -> float:
        month = date.fromordinal(self.window.start_of(m)).month
        season = 1.1 if month in (12, 1, 2) else 1.0
        mu = CATEGORIES[category][0] * pd / 1000.0 * self.unit_effect[dept] * season
        cat, _comp, irr, lag = self.plan.association
        if category == cat and gap is not None:
            g = gap[max(m - lag, 1) - 1]
            mu *= irr ** ((g or 0.0) / 0.1)
        return mu

    def _draw(self, mu: float) -> int:
        if mu <= 0:
            return 0
        return int(self.rng.poisson(self.rng.gamma(DISPERSION, mu / DISPERSION)))

    def _events(self, dept: str, m: int, pd: float, n: int, gap: list[float | None] | None) -> None:
        surge_dept, surge_month, multiplier = self.plan.near_miss
        for category, (_rate, nm_rate) in CATEGORIES.items():
            if pd > 0:
                harm = self._draw(self._mean(dept, m, category, pd, gap))
                nm_mu = nm_rate * pd / 1000.0 * self.unit_effect[dept]
            elif category in STAFF_EVENTS:
                harm, nm_mu = self._draw(0.004 * n), 0.002 * n
            else:
                continue
            if dept == surge_dept and m >= surge_month:
                nm_mu *= multiplier
            near = self._draw(nm_mu)
            for k in range(harm + near):
                self._report(dept, m, category, "incident" if k < harm else "near_miss")

    def _report(self, dept: str, m: int, category: str, event_type: str) -> None:
        start, end = self.window.start_of(m), self.window.end_of(m)
        day = int(self.rng.integers(start, end + 1))
        when = date.fromordinal(day)
        staff = category in STAFF_EVENTS
        harm = str(self.rng.choice(HARM, p=HARM_P)) if event_type == "incident" else None
        unit = next(u for u in UNITS if u.department_id == dept)
        roles = [c for c, _ in mix_of(unit)]
        hour = int(self.rng.integers(0, 24))
        number = len(self.incidents) + 1
        self.incidents.append(
            {
                "incident_id": f"HIR-{when.year}-{number:06d}",
                "source_system": SOURCE_SYSTEM,
                "event_type": event_type,
                "discovered_date": when.isoformat(),
                "occurred_at": f"{when.isoformat()}T{hour:02d}:15:00Z",
                "reported_date": date.fromordinal(
                    min(day + int(self.rng.integers(0, 4)), end)
                ).isoformat(),
                "department_id": dept,
                "categories": category,
                "harm_level": harm,
                "affected_party": "staff" if staff else "patient",
                "involved_roles": roles[int(self.rng.integers(0, len(roles)))],
                "contributing_factors": None,
                "sentinel_event": harm == "death",
                "osha_recordable": staff and harm in ("moderate", "severe"),
                "source_taxonomy": "harbor-rl-v3",
                "source_code": f"{category[:3].upper()}-{int(self.rng.integers(1, 9)):02d}",
                "record_updated_at": f"{when.isoformat()}T23:00:00Z",
            }
        )
