"""Seeded census and incidents per department-month (AHRQ categories, harm, near misses).

Patient events are Poisson with a gamma-distributed month effect per department (negative
binomial); falls everywhere follow ``IRR ** ((gap_{m-lag} - reference) / 0.10)`` where ``gap``
is 1 - compliance with falls prevention; the planted department's near-miss reporting rises
from its start month while harm stays the same.
"""

from __future__ import annotations

import calendar
from datetime import date

import numpy as np

from analytics.demo.catalog import DEPARTMENTS, ROLE_MIX, Department
from analytics.demo.frame import Frame, Plan
from analytics.demo.metrics import Cells
from analytics.demo.workforce import Person

PER_1000_PD = {
    "fall": 3.0,
    "medication": 2.0,
    "pressure_injury": 1.0,
    "hai": 0.6,
    "vte": 0.3,
    "patient_identification": 0.3,
    "communication_handoff": 0.4,
    "deterioration_missed": 0.2,
    "device_hit": 0.3,
    "blood_product": 0.1,
}
UNIT_FACTOR = {
    "icu": {
        "fall": 0.4,
        "medication": 1.5,
        "pressure_injury": 2.5,
        "hai": 2.5,
        "blood_product": 3.0,
        "device_hit": 2.0,
    },
    "psych": {"fall": 1.3, "hai": 0.2, "blood_product": 0.0, "pressure_injury": 0.2},
    "peds": {"fall": 0.3, "vte": 0.1},
    "l_and_d": {"fall": 0.2, "pressure_injury": 0.1},
    "ed": {"fall": 0.5, "pressure_injury": 0.2},
    "or": {"fall": 0.1, "pressure_injury": 1.5, "blood_product": 3.0},
}
UNIT_ONLY = {
    "l_and_d": {"perinatal": 3.0},
    "or": {"surgery_anesthesia": 4.0},
    "psych": {"suicide_self_harm": 1.0, "restraint_seclusion": 2.0, "elopement": 1.0},
    "ed": {"diagnostic_delay": 0.6, "restraint_seclusion": 0.3, "elopement": 0.3},
}
PER_200K_HOURS = {
    "sharps_exposure": 4.0,
    "patient_handling_injury": 5.0,
    "workplace_violence": 3.0,
    "privacy_breach": 6.0,
    "fire_safety": 0.5,
}
STAFF_CATEGORIES = {"sharps_exposure", "patient_handling_injury", "workplace_violence"}
HARM = ("none", "mild", "moderate", "severe", "death")
HARM_P = (0.50, 0.32, 0.13, 0.04, 0.01)
FACTORS = (
    "communication",
    "staffing",
    "training",
    "equipment",
    "policy",
    "patient_factors",
    "environment",
    "workload",
)
NEAR_MISS_RATIO = 0.8
UNSAFE_RATIO = 0.15
OCCUPANCY = {
    "icu": 0.85,
    "med_surg": 0.88,
    "ed": 0.95,
    "or": 0.7,
    "l_and_d": 0.7,
    "peds": 0.75,
    "psych": 0.9,
}


def _days(month_start: int) -> int:
    day = date.fromordinal(month_start)
    return calendar.monthrange(day.year, day.month)[1]


class Outcomes:
    """Builds census rows and incident rows for the window months."""

    def __init__(self, frame: Frame, plan: Plan, rng: np.random.Generator, cells: Cells) -> None:
        self.frame = frame
        self.plan = plan
        self.rng = rng
        self.cells = cells
        self.census: list[dict[str, object]] = []
        self.incidents: list[dict[str, object]] = []
        self.falls: dict[tuple[str, int], int] = {}

    def falls_gap(self, department: str, month: int) -> float | None:
        """1 - falls-prevention compliance of a department at a month end (None if nobody)."""
        cell = self.cells.get((department, self.plan.falls_competency, month))
        if cell is None or cell.compliance is None:
            return None
        return 1.0 - cell.compliance

    def build(self, people: list[Person]) -> None:
        """Census then incidents for every department and window month."""
        for dept in DEPARTMENTS:
            effect = float(self.rng.lognormal(0.0, 0.25))
            for month in self.frame.window():
                census = self._census(dept, month, people)
                self.census.append(census)
                self._incidents(dept, month, census, effect)

    def _census(self, dept: Department, month: int, people: list[Person]) -> dict[str, object]:
        start, end = self.frame.month_start(month), self.frame.month_end(month)
        days = _days(start)
        staff = [p for p in people if p.department_id == dept.department_id and p.active(end)]
        hours = [p.fte * 173.3 * float(self.rng.uniform(0.9, 1.05)) for p in staff]
        agency = sum(h for h, p in zip(hours, staff, strict=True) if p.employment_type == "agency")
        occupancy = OCCUPANCY.get(dept.unit_type, 0.0) + float(self.rng.normal(0, 0.03))
        return {
            "department_id": dept.department_id,
            "month": self.frame.label(month),
            "patient_days": round(dept.beds * days * max(occupancy, 0.0)),
            "staff_hours_worked": round(sum(hours), 1),
            "fte": round(sum(p.fte for p in staff), 2),
            "agency_hours": round(agency, 1),
            "new_hire_count": sum(1 for p in staff if start <= p.hire <= end),
        }

    def _rates(self, dept: Department, month: int) -> dict[str, float]:
        """Expected events per 1,000 patient-days by category for this department-month."""
        if dept.beds == 0:
            return {}
        factor = UNIT_FACTOR.get(dept.unit_type, {})
        rates = {c: r * factor.get(c, 1.0) for c, r in PER_1000_PD.items()}
        rates.update(UNIT_ONLY.get(dept.unit_type, {}))
        gap = self.falls_gap(dept.department_id, month - self.plan.falls_lag_months)
        if gap is not None:
            exponent = (gap - self.plan.falls_gap_reference) / 0.10
            rates["fall"] *= self.plan.falls_irr_per_10pp**exponent
        return rates

    def _incidents(
        self, dept: Department, month: int, census: dict[str, object], effect: float
    ) -> None:
        noise = effect * float(self.rng.gamma(20.0, 1 / 20.0))
        pd = float(census["patient_days"])  # type: ignore[arg-type]
        hours = float(census["staff_hours_worked"])  # type: ignore[arg-type]
        near_miss = NEAR_MISS_RATIO
        if (
            dept.department_id == self.plan.near_miss_department
            and month >= self.plan.near_miss_start_month
        ):
            near_miss *= self.plan.near_miss_multiplier
        expected = {c: r * pd / 1000 * noise for c, r in self._rates(dept, month).items()}
        staff_scale = 3.0 if dept.unit_type in ("ed", "psych") else 1.0
        for category, rate in PER_200K_HOURS.items():
            clinical = dept.unit_type not in ("admin", "pharmacy", "lab", "imaging", "support")
            if category in ("sharps_exposure", "patient_handling_injury") and not clinical:
                rate *= 0.2
            scale = staff_scale if category == "workplace_violence" else 1.0
            expected[category] = rate * scale * hours / 200_000
        falls = 0
        for category in sorted(expected):
            mean = expected[category]
            for event_type, ratio in (
                ("incident", 1.0),
                ("near_miss", near_miss),
                ("unsafe_condition", UNSAFE_RATIO),
            ):
                count = int(self.rng.poisson(mean * ratio))
                for _ in range(count):
                    self._event(dept, month, category, event_type)
                if category == "fall" and event_type == "incident":
                    falls = count
        self.falls[(dept.department_id, month)] = falls

    def _event(self, dept: Department, month: int, category: str, event_type: str) -> None:
        rng = self.rng
        start, end = self.frame.month_start(month), self.frame.month_end(month)
        day = int(rng.integers(start, end + 1))
        seconds = int(rng.integers(0, 86400))
        staff = category in STAFF_CATEGORIES
        harm = str(rng.choice(HARM, p=HARM_P)) if event_type == "incident" else ""
        discovered = min(day + int(rng.random() < 0.2), self.frame.end_day)
        reported = min(discovered + int(rng.geometric(0.5)) - 1, self.frame.end_day)
        updated = min(reported + int(rng.integers(0, 15)), self.frame.end_day)
        factors = rng.choice(FACTORS, size=int(rng.integers(1, 3)), replace=False)
        roles = list(ROLE_MIX[dept.unit_type])
        involved = rng.choice(roles, size=min(len(roles), int(rng.integers(1, 3))), replace=False)
        number = len(self.incidents) + 1
        self.incidents.append(
            {
                "incident_id": f"INC-{number:06d}",
                "source_system": "demo_rl",
                "event_type": event_type,
                "discovered_date": date.fromordinal(discovered).isoformat(),
                "occurred_at": f"{date.fromordinal(day).isoformat()}T{seconds // 3600:02d}:"
                f"{seconds // 60 % 60:02d}:{seconds % 60:02d}Z",
                "reported_date": date.fromordinal(reported).isoformat(),
                "department_id": dept.department_id,
                "categories": category,
                "harm_level": harm,
                "affected_party": "staff" if staff else "patient",
                "involved_roles": "|".join(sorted(str(r) for r in involved)),
                "contributing_factors": "|".join(sorted(str(f) for f in factors)),
                "sentinel_event": "true" if harm in ("severe", "death") else "false",
                "osha_recordable": "true" if staff and harm not in ("", "none") else "false",
                "source_taxonomy": "AHRQ_CFER_H_1.2",
                "source_code": f"CF-{category.upper()}",
                "record_updated_at": f"{date.fromordinal(updated).isoformat()}T12:00:00Z",
            }
        )
