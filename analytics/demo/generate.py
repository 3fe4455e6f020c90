"""Write a whole synthetic hospital to a directory: import CSVs, statements.jsonl, truth.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from analytics.demo.catalog import COMPETENCIES, REQUIREMENTS
from analytics.demo.frame import Frame, Plan
from analytics.demo.learning import EPOCH, Learning, Simulator
from analytics.demo.metrics import Cells, monthly_cells, series
from analytics.demo.outcomes import Outcomes
from analytics.demo.tables import (
    COLUMNS,
    Row,
    certification_rows,
    protocol_rows,
    reference_rows,
    staff_rows,
    write_csv,
)
from analytics.demo.workforce import Person, Roster
from analytics.demo.xapi import attempt_statements

DEFAULT_STAFF = 400
DEFAULT_MONTHS = 18
DEFAULT_END = date(2025, 6, 30)
STATEMENTS_FILE = "statements.jsonl"
TRUTH_FILE = "truth.json"
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Summary:
    """What was written: row counts per file, statements, attempts."""

    out: str
    seed: int
    staff: int
    statements: int
    attempts: int
    rows: dict[str, int]


def iter_statements(directory: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the statements of a generated hospital one by one (streamed from disk)."""
    with (Path(directory) / STATEMENTS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _write_statements(
    path: Path, learning: Learning, people: list[Person], rng: np.random.Generator
) -> int:
    actors = [p.actor() for p in people]
    learning.attempts.sort(key=lambda a: (a.start, a.person, a.competency))
    count = 0
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with path.open("w", encoding="utf-8") as handle:
        for attempt in learning.attempts:
            lines = [dumps(s) for s in attempt_statements(attempt, actors[attempt.person], rng)]
            handle.write("\n".join(lines))
            handle.write("\n")
            count += len(lines)
    return count


def _fall_series(outcomes: Outcomes, frame: Frame, department: str) -> dict[str, list[Any]]:
    census = {(r["department_id"], r["month"]): r["patient_days"] for r in outcomes.census}
    months = list(frame.window())
    gaps = [outcomes.falls_gap(department, m - outcomes.plan.falls_lag_months) for m in months]
    return {
        "month": [frame.label(m) for m in months],
        "lagged_gap": [None if g is None else round(g, 4) for g in gaps],
        "falls": [outcomes.falls[(department, m)] for m in months],
        "patient_days": [census[(department, frame.label(m))] for m in months],
    }


def _first_attempts(
    learning: Learning, people: list[Person], frame: Frame, plan: Plan
) -> dict[str, list[int]]:
    index = next(
        i for i, c in enumerate(COMPETENCIES) if c.competency_id == plan.decline_competency
    )
    tried = [0] * frame.months
    passed = [0] * frame.months
    for a in learning.attempts:
        month = frame.month_of(a.start // 86400 + EPOCH)
        dept = people[a.person].department_id
        if a.first and a.competency == index and dept == plan.decline_department and month >= 1:
            tried[month - 1] += 1
            passed[month - 1] += a.passed
    return {"first_attempts": tried, "first_attempt_passes": passed}


def _truth(
    frame: Frame,
    plan: Plan,
    cells: Cells,
    outcomes: Outcomes,
    learning: Learning,
    people: list[Person],
) -> dict[str, Any]:
    change = date.fromordinal(frame.month_start(plan.protocol_month) + plan.protocol_day - 1)
    return {
        "generator_version": GENERATOR_VERSION,
        "window": {
            "first_month": frame.label(1),
            "last_month": frame.label(frame.months),
            "end": frame.end.isoformat(),
            "months": frame.months,
        },
        "plan": asdict(plan),
        "signals": [
            {
                "id": "readiness_decline",
                "department_id": plan.decline_department,
                "competency_id": plan.decline_competency,
                "start_month": plan.decline_start_month,
                "start": frame.label(plan.decline_start_month),
                "expected_flag": "DECLINING",
                "expected_effect": {
                    "readiness_pp_per_month": -2.0,
                    "note": "realised (median of 50 seeds, 300 staff, months 7-18): "
                    "retention-readiness about -1.9 pp/month, compliance about -4.7 pp/month, "
                    "steeper in the first months; and falling first-attempt pass rates "
                    "(series below)",
                },
                "mechanism": "due recertifications skipped, harder items (failed first attempts)",
                "realised": series(cells, frame, plan.decline_department, plan.decline_competency),
                "realised_window": _first_attempts(learning, people, frame, plan),
            },
            {
                "id": "protocol_change",
                "competency_id": plan.protocol_competency,
                "change_date": change.isoformat(),
                "invalidates_prior": True,
                "retrain_due_days": plan.retrain_due_days,
                "carryover": plan.carryover,
                "expected_flag": "UPDATE_IN_PROGRESS",
                "departments": "all requiring it",
            },
            {
                "id": "falls_linkage",
                "department_id": plan.falls_department,
                "competency_id": plan.falls_competency,
                "category": "fall",
                "start_month": plan.falls_start_month,
                "start": frame.label(plan.falls_start_month),
                "lag_months": plan.falls_lag_months,
                "irr_per_10pp": plan.falls_irr_per_10pp,
                "gap_definition": "1 - share of required staff compliant at the month end",
                "applies_to": "falls (event_type incident) in every department with patient-days",
                "expected_flag": "DECLINING on the falls-prevention cell of this department",
                "realised": _fall_series(outcomes, frame, plan.falls_department),
                "gap_series": series(cells, frame, plan.falls_department, plan.falls_competency),
            },
            {
                "id": "near_miss_rise",
                "department_id": plan.near_miss_department,
                "start_month": plan.near_miss_start_month,
                "start": frame.label(plan.near_miss_start_month),
                "near_miss_multiplier": plan.near_miss_multiplier,
                "harm_change": "none",
                "expected": "not flagged as less safe",
            },
            {
                "id": "tiny_unit",
                "department_id": plan.tiny_department,
                "n_staff": plan.tiny_size,
                "expected_flag": "insufficient_data",
            },
        ],
        "in_control": "every department x competency cell not named above (the protocol "
        "competency is in control outside its retraining window)",
        "click_throughs": sum(1 for a in learning.attempts if a.click_through),
    }


GENERATE_STEPS = 5  # progress steps reported by :func:`generate`


def generate(
    out: str | Path,
    *,
    seed: int = 0,
    staff: int = DEFAULT_STAFF,
    months: int = DEFAULT_MONTHS,
    end: date = DEFAULT_END,
    plan: Plan | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Generate the hospital into ``out`` (created if needed); same seed, same bytes."""
    if staff < 20 or months < 12:
        raise ValueError("need staff >= 20 and months >= 12")
    plan = plan or Plan()
    frame = Frame(end, months)
    roster_rng, learning_rng, outcome_rng, statement_rng = np.random.default_rng(seed).spawn(4)
    step = progress or (lambda _n: None)
    people = Roster(frame, plan, roster_rng).build(staff)
    step(1)
    learning = Simulator(frame, plan, learning_rng).run(people, REQUIREMENTS)
    step(1)
    cells = monthly_cells(learning.histories, frame, plan)
    outcomes = Outcomes(frame, plan, outcome_rng, cells)
    outcomes.build(people)
    step(1)
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Iterable[Row]] = {
        **reference_rows(),
        "staff": staff_rows(people),
        "protocol_changes": protocol_rows(frame, plan),
        "certifications": certification_rows(learning),
        "census": outcomes.census,
        "incidents": outcomes.incidents,
    }
    rows = {k: write_csv(directory / f"{k}.csv", COLUMNS[k], tables[k]) for k in COLUMNS}
    step(1)
    statements = _write_statements(directory / STATEMENTS_FILE, learning, people, statement_rng)
    step(1)
    truth = _truth(frame, plan, cells, outcomes, learning, people)
    truth["seed"] = seed
    truth["counts"] = {
        **rows,
        "statements": statements,
        "attempts": len(learning.attempts),
        "competencies": len(COMPETENCIES),
    }
    (directory / TRUTH_FILE).write_text(
        json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return Summary(str(directory), seed, len(people), statements, len(learning.attempts), rows)
