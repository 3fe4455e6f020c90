"""Compliance statuses match hand-computed cases exactly (ANALYTICS.md §5)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analytics.models.compliance import cleared, compliance_status
from analytics.models.evidence import evidence
from analytics.models.rollup import department_compliance
from tests.analytics.models.frames import (
    COMPLETED,
    FAILED,
    LAUNCHED,
    PASSED,
    SATISFIED,
    WAIVED,
    activity_map,
    certs,
    changes,
    requirements,
    staff,
    statements,
    stmt,
)

AS_OF = date(2024, 6, 30)
HH, SEPSIS = "C1", "C2"
OLD = date(2020, 1, 1)

STAFF = staff(
    [
        ("p_onb", "D1", "RN", date(2024, 6, 15), None, 1.0, "employee"),
        ("p_over", "D1", "RN", date(2024, 1, 1), None, 1.0, "employee"),
        ("p_comp", "D1", "RN", OLD, None, 1.0, "employee"),
        ("p_e30", "D1", "RN", OLD, None, 1.0, "employee"),
        ("p_e60", "D1", "RN", OLD, None, 1.0, "employee"),
        ("p_e90", "D2", "RN", OLD, None, 1.0, "employee"),
        ("p_grace", "D2", "RN", OLD, None, 1.0, "employee"),
        ("p_exp", "D2", "RN", OLD, None, 1.0, "employee"),
        ("p_clerk", "D2", "CLERK", OLD, None, 1.0, "employee"),
        ("p_left", "D2", "RN", OLD, date(2024, 5, 31), 1.0, "employee"),
        ("p_fut", "D2", "RN", OLD, None, 1.0, "employee"),
    ]
)
REQS = requirements(
    [
        ("RN", HH, 365, 30, 14, "passed"),
        ("RN", SEPSIS, 365, 60, 0, "passed_or_completed"),
        ("CLERK", HH, 365, 30, 0, "passed"),
    ]
)
MAP = activity_map(
    [
        ("http://ex/hh", HH, 0.8),
        ("http://ex/sepsis/*", SEPSIS, 0.8),
        ("http://ex/course/c2", SEPSIS, 0.8),
    ]
)
CHANGES = changes([(SEPSIS, date(2024, 3, 1), True, 60, 0.5)])
CERTS = certs(
    [
        ("p_grace", SEPSIS, date(2024, 4, 1), date(2026, 4, 1)),
        ("p_fut", SEPSIS, date(2024, 7, 2), date(2026, 7, 2)),  # issued after as_of
    ]
)
HH_URL, S1, S2, COURSE = (
    "http://ex/hh",
    "http://ex/sepsis/m1",
    "http://ex/sepsis/m2",
    "http://ex/course/c2",
)
STATEMENTS = statements(
    [
        stmt("over-f", "p_over", FAILED, HH_URL, date(2024, 2, 1), score_scaled=0.4),
        stmt("comp-hh", "p_comp", PASSED, HH_URL, date(2024, 6, 1), score_scaled=0.9),
        stmt("comp-launch", "p_comp", LAUNCHED, HH_URL, date(2024, 6, 20)),
        # cmi5: the AU is unmapped, its course (grouping) maps to sepsis
        stmt("comp-s", "p_comp", PASSED, "http://ex/au/x", date(2024, 4, 1), grouping_ids=[COURSE]),
        stmt("e30-hh", "p_e30", PASSED, HH_URL, date(2023, 7, 20), score_scaled=0.8),
        stmt("e30-low", "p_e30", PASSED, S1, date(2024, 3, 5), score_scaled=0.5),
        stmt(
            "e60-hh",
            "p_e60",
            PASSED,
            HH_URL,
            date(2023, 8, 20),
            score_raw=9.0,
            score_min=0.0,
            score_max=10.0,
        ),
        stmt("e60-done", "p_e60", COMPLETED, S2, date(2024, 5, 1)),
        stmt("e90-hh", "p_e90", PASSED, HH_URL, date(2023, 9, 15), department_id="D2"),
        stmt("e90-old", "p_e90", PASSED, S1, date(2023, 12, 1), department_id="D2"),
        stmt("grace-hh", "p_grace", PASSED, HH_URL, date(2023, 6, 25)),
        stmt("exp-hh", "p_exp", PASSED, HH_URL, date(2023, 1, 10)),
        stmt("exp-w", "p_exp", WAIVED, COURSE, date(2024, 5, 10)),
        stmt("clerk-done", "p_clerk", COMPLETED, HH_URL, date(2024, 6, 1), role_code="CLERK"),
        stmt("clerk-s", "p_clerk", PASSED, S1, date(2024, 2, 1), role_code="CLERK"),
        stmt("left-hh", "p_left", PASSED, HH_URL, date(2024, 5, 1)),
        stmt("fut-hh", "p_fut", PASSED, HH_URL, date(2024, 7, 5)),
        stmt("fut-sat", "p_fut", SATISFIED, COURSE, date(2024, 6, 30)),
        stmt("anon", None, PASSED, HH_URL, date(2024, 6, 1)),
    ]
)

# (person, competency) -> (status, evidence ids, due_date, expires_on, waived)
EXPECTED = {
    ("p_onb", HH): ("onboarding", [], date(2024, 7, 15), None, False),
    ("p_onb", SEPSIS): ("onboarding", [], date(2024, 8, 14), None, False),
    ("p_over", HH): ("overdue", [], date(2024, 1, 31), None, False),
    ("p_over", SEPSIS): ("overdue", [], date(2024, 3, 1), None, False),
    ("p_comp", HH): ("compliant", ["comp-hh"], date(2025, 6, 1), date(2025, 6, 1), False),
    ("p_comp", SEPSIS): ("compliant", ["comp-s"], date(2025, 4, 1), date(2025, 4, 1), False),
    ("p_e30", HH): ("expiring_30", ["e30-hh"], date(2024, 7, 19), date(2024, 7, 19), False),
    ("p_e30", SEPSIS): ("overdue", [], date(2020, 3, 1), None, False),  # below mastery
    ("p_e60", HH): ("expiring_60", ["e60-hh"], date(2024, 8, 19), date(2024, 8, 19), False),
    ("p_e60", SEPSIS): ("compliant", ["e60-done"], date(2025, 5, 1), date(2025, 5, 1), False),
    ("p_e90", HH): ("expiring_90", ["e90-hh"], date(2024, 9, 14), date(2024, 9, 14), False),
    ("p_e90", SEPSIS): ("update_due", ["e90-old"], date(2024, 4, 30), None, False),
    ("p_grace", HH): ("in_grace", ["grace-hh"], date(2024, 6, 24), date(2024, 6, 24), False),
    ("p_grace", SEPSIS): (
        "compliant",
        ["cert:p_grace:C2:2024-04-01"],
        date(2026, 4, 1),
        date(2026, 4, 1),
        False,
    ),
    ("p_exp", HH): ("expired", ["exp-hh"], date(2024, 1, 10), date(2024, 1, 10), False),
    ("p_exp", SEPSIS): ("compliant", ["exp-w"], date(2025, 5, 10), date(2025, 5, 10), True),
    ("p_clerk", HH): ("overdue", [], date(2020, 1, 31), None, False),  # completed not allowed
    ("p_fut", HH): ("overdue", [], date(2020, 1, 31), None, False),  # pass after as_of
    ("p_fut", SEPSIS): ("compliant", ["fut-sat"], date(2025, 6, 30), date(2025, 6, 30), False),
}


def _status(**kw: object) -> pl.DataFrame:
    ev = evidence(STATEMENTS, MAP, REQS)
    return compliance_status(AS_OF, STAFF, REQS, ev, CERTS, CHANGES, **kw)  # type: ignore[arg-type]


def test_statuses_match_hand_computed_cases_exactly() -> None:
    got = {
        (r["person_key"], r["competency_id"]): (
            r["status"],
            r["evidence_ids"],
            r["due_date"],
            r["expires_on"],
            r["waived"],
        )
        for r in _status().iter_rows(named=True)
    }
    assert got == EXPECTED


def test_left_staff_excluded_and_as_of_column() -> None:
    out = _status()
    assert "p_left" not in out.get_column("person_key").to_list()
    assert out.get_column("as_of").unique().to_list() == [AS_OF]
    assert out.get_column("required").all()


def test_last_evidence_at_includes_invalidated_pass() -> None:
    row = _status().filter(pl.col("person_key") == "p_e90", pl.col("competency_id") == SEPSIS)
    assert row.get_column("last_evidence_at").dt.date().to_list() == [date(2023, 12, 1)]


def test_update_due_before_and_after_change() -> None:
    ev = evidence(STATEMENTS, MAP, REQS)
    before = compliance_status(date(2024, 2, 29), STAFF, REQS, ev, CERTS, CHANGES)
    row = before.filter(pl.col("person_key") == "p_e90", pl.col("competency_id") == SEPSIS)
    assert row.get_column("status").to_list() == ["compliant"]
    late = compliance_status(date(2024, 6, 30), STAFF, REQS, ev, CERTS, CHANGES)
    row = late.filter(pl.col("person_key") == "p_e90", pl.col("competency_id") == SEPSIS)
    assert row.get_column("status").to_list() == ["update_due"]  # still, past retrain due


def test_completed_counts_without_requirements_filter_only_where_rule_allows() -> None:
    ev = evidence(STATEMENTS, MAP)  # no requirement filter: compliance applies the rule
    assert "clerk-done" in ev.get_column("statement_id").to_list()
    out = compliance_status(AS_OF, STAFF, REQS, ev, CERTS, CHANGES)
    row = out.filter(pl.col("person_key") == "p_clerk", pl.col("competency_id") == HH)
    assert row.get_column("status").to_list() == ["overdue"]


def test_not_required_rows_on_request() -> None:
    out = _status(include_not_required=True)
    extra = out.filter(~pl.col("required"))
    assert extra.select("person_key", "competency_id", "status").rows() == [
        ("p_clerk", SEPSIS, "not_required")
    ]


def test_evidence_kinds_and_threshold() -> None:
    ev = evidence(STATEMENTS, MAP, REQS)
    kinds = dict(zip(ev["statement_id"], ev["kind"], strict=True))
    assert kinds["e30-low"] == "failed"  # pass below the mastery threshold
    assert kinds["e60-hh"] == "passed"  # raw 9/10 reaches 0.8
    assert kinds["exp-w"] == "waived"
    assert "comp-launch" not in kinds and "anon" not in kinds and "clerk-done" not in kinds


def test_cleared_lists_evidence_ids() -> None:
    tasks = pl.DataFrame(
        {"task_id": ["T1"], "name": ["sepsis bundle"], "competency_ids": [[HH, SEPSIS]]}
    )
    out = cleared(_status(), tasks, "T1", AS_OF)
    by = {r["person_key"]: r for r in out.iter_rows(named=True)}
    assert {p for p, r in by.items() if r["cleared"]} == {"p_comp", "p_e60"}
    assert by["p_comp"]["competencies"] == [
        {"competency_id": HH, "status": "compliant", "evidence_ids": ["comp-hh"]},
        {"competency_id": SEPSIS, "status": "compliant", "evidence_ids": ["comp-s"]},
    ]
    clerk = {c["competency_id"]: c["status"] for c in by["p_clerk"]["competencies"]}
    assert clerk == {HH: "overdue", SEPSIS: "not_required"}
    assert not by["p_e90"]["cleared"]  # update_due blocks


def test_cleared_rejects_unknown_task_and_other_date() -> None:
    tasks = pl.DataFrame({"task_id": ["T1"], "name": ["x"], "competency_ids": [[HH]]})
    with pytest.raises(ValueError, match="task_id"):
        cleared(_status(), tasks, "nope", AS_OF)
    with pytest.raises(ValueError, match="as_of"):
        cleared(_status(), tasks, "T1", date(2024, 7, 1))


def test_department_compliance_headcount_and_hours() -> None:
    status = _status()
    out = department_compliance(status, STAFF)
    d1 = out.filter(pl.col("department_id") == "D1", pl.col("competency_id") == HH).row(
        0, named=True
    )
    # D1 HH: onb, over, comp, e30, e60 -> compliant-or-expiring: comp, e30, e60
    assert (d1["n_required"], d1["n_compliant"]) == (5, 3)
    assert d1["compliance_rate"] == pytest.approx(0.6)
    assert d1["weighting"] == "headcount"
    # census: D1 has 1,000 hours of which 500 agency; make p_onb a float nurse
    floaty = STAFF.with_columns(
        employment_type=pl.when(pl.col("person_key") == "p_onb")
        .then(pl.lit("float"))
        .otherwise(pl.col("employment_type"))
    )
    census = pl.DataFrame(
        {
            "department_id": ["D1"],
            "month": ["2024-06"],
            "patient_days": [100.0],
            "staff_hours_worked": [1000.0],
            "fte": [5.0],
            "agency_hours": [500.0],
            "new_hire_count": [0],
        }
    )
    w = department_compliance(status, floaty, census)
    d1w = w.filter(pl.col("department_id") == "D1", pl.col("competency_id") == HH).row(
        0, named=True
    )
    # core FTE 4, pool share 500/500 -> float nurse weighs 4; rate = 3 / (4 + 4)
    assert d1w["weighting"] == "hours"
    assert d1w["weighted_compliance_rate"] == pytest.approx(3 / 8)
    assert d1w["compliance_rate"] == pytest.approx(0.6)
