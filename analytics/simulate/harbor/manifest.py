"""The planted truth of one Harbor hospital, as the JSON document ``manifest.json``."""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics.simulate.harbor.calendar import Window
from analytics.simulate.harbor.catalogue import SKILLS
from analytics.simulate.harbor.plan import Plan
from analytics.simulate.harbor.staff import Member
from analytics.simulate.harbor.training import Training
from analytics.simulate.harbor.truth import Cells
from analytics.simulate.harbor.xapi import Emitter


def _series(window: Window, cells: Cells, dept: str, comp: str) -> dict[str, list[Any]]:
    cell = cells.get((dept, comp), [])
    return {
        "month": [window.label(m) for m in range(1, window.months + 1)],
        "n_established": [n for n, _ in cell],
        "compliance": [None if n == 0 else round(k / n, 4) for n, k in cell],
    }


def _headcount(people: list[Member], dept: str, day: int) -> int:
    return sum(
        1
        for m in people
        if m.department_id == dept and m.hire <= day and (m.leave is None or m.leave > day)
    )


def manifest(
    window: Window,
    plan: Plan,
    people: list[Member],
    training: Training,
    cells: Cells,
    emitter: Emitter,
    seed: int,
) -> dict[str, Any]:
    """Every planted signal with its realised series, and the in-control cells."""
    last = window.last_day
    size = {dept: _headcount(people, dept, last) for dept, _ in cells}
    declines = [
        {
            "id": d.id,
            "department_id": d.department_id,
            "competency_id": d.competency_id,
            "start_month": d.start_month,
            "start": window.label(d.start_month),
            "skip_probability": d.skip,
            "n_staff": size[d.department_id],
            "expected_flag": "DECLINING",
            "realised": _series(window, cells, d.department_id, d.competency_id),
        }
        for d in plan.declines
    ]
    low_dept, low_comp = plan.low
    wave_dept, wave_month, hires = plan.wave
    nm_dept, nm_month, multiplier = plan.near_miss
    cat, comp, irr, lag = plan.association
    planted = {(d.department_id, d.competency_id) for d in plan.declines} | {plan.low}
    in_control = sorted(
        [dept, c] for dept, c in cells if (dept, c) not in planted and dept != plan.tiny
    )
    return {
        "window": {
            "first_month": window.label(1),
            "last_month": window.label(window.months),
            "end": window.end.isoformat(),
            "months": window.months,
        },
        "declines": declines,
        "low_unit": {
            "department_id": low_dept,
            "competency_id": low_comp,
            "n_staff": size[low_dept],
            "expected_flag": "LOW",
            "chronic_share": plan.low_share,
            "realised": _series(window, cells, low_dept, low_comp),
        },
        "association": {
            "category": cat,
            "competency_id": comp,
            "irr_per_10pp": irr,
            "lag_months": lag,
            "outcome": "event_type incident, every harm level",
            "gap_definition": "1 - share of established required staff compliant "
            "at the month end (true compliance, manifest 'realised' style)",
        },
        "null_pair": {
            "category": plan.null_pair[0],
            "competency_id": plan.null_pair[1],
            "irr_per_10pp": 1.0,
        },
        "protocol_changes": [
            {
                "competency_id": c.competency_id,
                "change_date": date.fromordinal(c.day).isoformat(),
                "day_of_month": date.fromordinal(c.day).day,
                "invalidates_prior": c.invalidates_prior,
                "retrain_due_days": c.retrain_due_days,
                "expected_flag": "UPDATE_IN_PROGRESS",
            }
            for c in plan.changes
        ],
        "near_miss_surge": {
            "department_id": nm_dept,
            "start_month": nm_month,
            "start": window.label(nm_month),
            "multiplier": multiplier,
            "harm_change": "none",
            "expected": "never harm_high",
        },
        "tiny_unit": {
            "department_id": plan.tiny,
            "n_staff": size[plan.tiny],
            "expected_flag": "INSUFFICIENT_DATA",
        },
        "hiring_wave": {
            "department_id": wave_dept,
            "month": wave_month,
            "start": window.label(wave_month),
            "hires": hires,
            "expected": "no DECLINING or LOW caused by onboarding staff",
        },
        "cert_only_competencies": [s.competency_id for s in SKILLS if s.cert_only],
        "seasonal_cohorts": [
            {"competency_id": s.competency_id, "month": s.cohort_month}
            for s in SKILLS
            if s.cohort_month
        ],
        "planted_cells": sorted([d, c] for d, c in planted),
        "in_control_cells": in_control,
        "sizes": dict(sorted(size.items())),
        "late_arrivals": emitter.late,
        "voided_statement_ids": sorted(emitter.voided),
        "identities": {
            "mbox_and_account": sum(1 for m in people if m.mbox and m.account),
            "mbox_only": sum(1 for m in people if m.mbox and not m.account),
            "account_only": sum(1 for m in people if not m.mbox),
        },
        "people": len(people),
        "seed_note": f"seed {seed}: months and days of the plants vary by seed; units do not",
    }
