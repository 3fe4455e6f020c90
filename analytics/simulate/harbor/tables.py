"""Harbor's import rows (ANALYTICS.md §2-3 formats) and a plain CSV writer."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from analytics.simulate.harbor.catalogue import (
    INITIAL_DUE_DAYS,
    ROLES,
    SKILLS,
    UNITS,
    assessment_iri,
    required,
)
from analytics.simulate.harbor.plan import Plan
from analytics.simulate.harbor.staff import Member

Row = Mapping[str, Any]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    return str(value)


def write_rows(path: Path, columns: tuple[str, ...], rows: Iterable[Row]) -> int:
    """Write ``rows`` under a header of ``columns`` (missing keys blank); return the count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
            count += 1
    return count


def reference_rows(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Departments, roles, competencies, activity map, requirements, changes, tasks."""
    return {
        "departments": [
            {
                "department_id": u.department_id,
                "name": u.name,
                "service_line": u.service_line,
                "unit_type": u.unit_type,
                "site": u.site,
            }
            for u in UNITS
        ],
        "roles": [{"role_code": c, "role_family": f, "title": t} for c, (f, t) in ROLES.items()],
        "competencies": [
            {
                "competency_id": s.competency_id,
                "name": s.name,
                "category": s.category,
                "criticality": s.criticality,
            }
            for s in SKILLS
        ],
        "activity_competency": [
            {
                "activity_id": assessment_iri(s),
                "competency_id": s.competency_id,
                "evidence_type": "scenario" if s.competency_id == "HH-C106" else "knowledge_check",
                "weight": 1,
                "mastery_threshold": 0.75,
            }
            for s in SKILLS
            if not s.cert_only
        ],
        "role_requirements": [
            {
                "role_code": code,
                "competency_id": s.competency_id,
                "recert_interval_days": s.recert_days,
                "initial_due_days": INITIAL_DUE_DAYS,
                "grace_days": 0,
                "evidence_rule": "passed",
            }
            for code in ROLES
            for s in required(code)
        ],
        "protocol_changes": [
            {
                "competency_id": c.competency_id,
                "change_date": date.fromordinal(c.day).isoformat(),
                "new_version": f"rev-{date.fromordinal(c.day):%Y%m}",
                "invalidates_prior": c.invalidates_prior,
                "retrain_due_days": c.retrain_due_days,
                "carryover": 0,
            }
            for c in plan.changes
        ],
        "regulated_tasks": [
            {
                "task_id": "TASK-MED-ADMIN",
                "name": "Administer medicines",
                "competency_ids": ["HH-C101", "HH-C108"],
            },
            {
                "task_id": "TASK-PT-TRANSFER",
                "name": "Transfer a patient",
                "competency_ids": ["HH-C102", "HH-C105"],
            },
        ],
    }


def staff_rows(people: list[Member]) -> list[dict[str, Any]]:
    """One roster row per person, carrying every identity they use."""
    return [
        {
            "person_id": m.person_id,
            "department_id": m.department_id,
            "role_code": m.role_code,
            "hire_date": date.fromordinal(m.hire).isoformat(),
            "end_date": None if m.leave is None else date.fromordinal(m.leave).isoformat(),
            "fte": 1.0 if m.agency else (0.8 if int(m.person_id[1:]) % 5 == 0 else 1.0),
            "employment_type": "agency" if m.agency else "employee",
            "mbox": m.mbox,
            "account_homepage": m.account[0] if m.account else None,
            "account_name": m.account[1] if m.account else None,
        }
        for m in people
    ]
