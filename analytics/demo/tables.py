"""Rows of the import CSVs (ANALYTICS.md §2-3 column names) and the CSV writer."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from analytics.demo.catalog import (
    CATEGORY_COMPETENCY,
    COMPETENCIES,
    DEPARTMENTS,
    REGULATED_TASKS,
    REQUIREMENTS,
    ROLES,
    au_iri,
    course_iri,
)
from analytics.demo.frame import Frame, Plan
from analytics.demo.learning import INITIAL_DUE_DAYS, Learning
from analytics.demo.workforce import Person

COLUMNS: dict[str, tuple[str, ...]] = {
    "departments": ("department_id", "name", "service_line", "unit_type", "site"),
    "staff": (
        "person_id",
        "department_id",
        "role_code",
        "hire_date",
        "end_date",
        "fte",
        "employment_type",
        "mbox",
        "account_homepage",
        "account_name",
    ),
    "roles": ("role_code", "role_family", "title"),
    "competencies": ("competency_id", "name", "category", "criticality", "half_life_days"),
    "activity_competency": (
        "activity_id",
        "competency_id",
        "evidence_type",
        "weight",
        "mastery_threshold",
    ),
    "role_requirements": (
        "role_code",
        "competency_id",
        "recert_interval_days",
        "initial_due_days",
        "grace_days",
        "evidence_rule",
    ),
    "protocol_changes": (
        "competency_id",
        "change_date",
        "new_version",
        "invalidates_prior",
        "retrain_due_days",
        "carryover",
    ),
    "regulated_tasks": ("task_id", "name", "competency_ids"),
    "certifications": ("person_id", "competency_id", "issued", "expires", "issuer"),
    "census": (
        "department_id",
        "month",
        "patient_days",
        "staff_hours_worked",
        "fte",
        "agency_hours",
        "new_hire_count",
    ),
    "incidents": (
        "incident_id",
        "source_system",
        "event_type",
        "discovered_date",
        "occurred_at",
        "reported_date",
        "department_id",
        "categories",
        "harm_level",
        "affected_party",
        "involved_roles",
        "contributing_factors",
        "sentinel_event",
        "osha_recordable",
        "source_taxonomy",
        "source_code",
        "record_updated_at",
    ),
    "category_competency": ("category", "competency_id", "weight"),
}

Row = Mapping[str, object]


def write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[Row]) -> int:
    """Write rows (missing keys blank) with a header; returns the number of rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
            count += 1
    return count


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def reference_rows() -> dict[str, list[Row]]:
    """The static tables: departments, roles, competencies, mappings, requirements, tasks."""
    activity: list[Row] = []
    for comp in COMPETENCIES:
        if comp.cert:
            continue
        prefix = comp.category in ("regulatory", "privacy")
        activity.append(
            {
                "activity_id": f"{course_iri(comp.competency_id)}/*"
                if prefix
                else au_iri(comp.competency_id),
                "competency_id": comp.competency_id,
                "evidence_type": "knowledge_check",
                "weight": 1,
                "mastery_threshold": 0.8,
            }
        )
    return {
        "departments": [vars(d) for d in DEPARTMENTS],
        "roles": [{"role_code": r, "role_family": f, "title": t} for r, (f, t) in ROLES.items()],
        "competencies": [vars(c) for c in COMPETENCIES],
        "activity_competency": activity,
        "role_requirements": [
            {
                "role_code": role,
                "competency_id": cid,
                "recert_interval_days": days,
                "initial_due_days": INITIAL_DUE_DAYS,
                "grace_days": 0,
                "evidence_rule": "passed",
            }
            for role, needs in REQUIREMENTS.items()
            for cid, days in sorted(needs.items())
        ],
        "regulated_tasks": [
            {"task_id": t, "name": n, "competency_ids": "|".join(c)} for t, n, c in REGULATED_TASKS
        ],
        "category_competency": [
            {"category": c, "competency_id": k, "weight": w} for c, k, w in CATEGORY_COMPETENCY
        ],
    }


def protocol_rows(frame: Frame, plan: Plan) -> list[Row]:
    """The planted invalidating change plus one editorial (non-invalidating) update."""
    change = frame.month_start(plan.protocol_month) + plan.protocol_day - 1
    editorial = frame.month_start(max(1, plan.protocol_month - 5)) + 2
    return [
        {
            "competency_id": plan.protocol_competency,
            "change_date": _iso(change),
            "new_version": "2.0",
            "invalidates_prior": "true",
            "retrain_due_days": plan.retrain_due_days,
            "carryover": plan.carryover,
        },
        {
            "competency_id": "hand-hygiene",
            "change_date": _iso(editorial),
            "new_version": "1.1",
            "invalidates_prior": "false",
            "retrain_due_days": None,
            "carryover": 1.0,
        },
    ]


def staff_rows(people: list[Person]) -> list[Row]:
    """One row per person; agency staff carry an account identity, everyone else an mbox."""
    rows: list[Row] = []
    for p in people:
        actor = p.actor()
        account = actor.get("account")
        rows.append(
            {
                "person_id": p.person_id,
                "department_id": p.department_id,
                "role_code": p.role_code,
                "hire_date": _iso(p.hire),
                "end_date": None if p.leave is None else _iso(p.leave - 1),
                "fte": p.fte,
                "employment_type": p.employment_type,
                "mbox": actor.get("mbox"),
                "account_homepage": account["homePage"] if isinstance(account, dict) else None,
                "account_name": account["name"] if isinstance(account, dict) else None,
            }
        )
    return rows


def certification_rows(learning: Learning) -> list[Row]:
    """Imported certifications (BLS, ACLS, PALS, NRP)."""
    return [
        {"person_id": p, "competency_id": c, "issued": _iso(i), "expires": _iso(e), "issuer": s}
        for p, c, i, e, s in learning.certifications
    ]
