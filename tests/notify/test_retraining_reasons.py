"""Reasons on a hand-built warehouse: a recent failed attempt makes a lapse ``failed`` (its
statement id first in the evidence); an old one does not; a valid pass near expiry is
``due_soon``; far from expiry is not listed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from analytics.notify.retraining import retraining_list, to_csv
from analytics.warehouse import Warehouse

AS_OF = date(2026, 3, 31)
ACT = "https://lms.example/courses/sepsis/au/assessment"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
STATUS = [  # person, status, due_date, expires_on, evidence
    ("p1", "expired", "2026-03-01", "2026-03-01", ["old-pass-1"]),
    ("p2", "expired", "2026-02-01", "2026-02-01", ["old-pass-2"]),
    ("p3", "expiring_30", "2026-04-20", "2026-04-20", ["pass-3"]),
    ("p4", "compliant", "2027-01-01", "2027-01-01", ["pass-4"]),
    ("p5", "update_due", "2026-05-01", None, ["pre-change-5"]),
    ("p6", "overdue", "2026-01-15", None, []),
]
STATEMENTS = [  # id, person, day
    ("fail-1", "p1", "2026-03-20"),
    ("fail-2-old", "p2", "2025-11-01"),
    ("fail-3", "p3", "2026-03-25"),
]


def _warehouse(tmp_path: Path) -> Warehouse:
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    with wh.write() as conn:
        conn.execute(
            "INSERT INTO activity_competency (activity_id, competency_id, evidence_type) "
            "VALUES (?, 'sepsis', 'knowledge_check')",
            [ACT],
        )
        for n, (sid, person, day) in enumerate(STATEMENTS, 1):
            conn.execute(
                "INSERT INTO statements_all (statement_id, seq, person_key, verb_id, object_id, "
                '"timestamp", voided, is_voiding, department_id) '
                "VALUES (?, ?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), false, false, 'D1')",
                [sid, n, person, FAILED, ACT, f"{day} 10:00:00+00"],
            )
        conn.execute(
            "CREATE TABLE person_competency_status (as_of DATE, person_key VARCHAR, "
            "department_id VARCHAR, competency_id VARCHAR, status VARCHAR, due_date DATE, "
            "expires_on DATE, evidence_ids VARCHAR[])"
        )
        for person, status, due, expires, ids in STATUS:
            conn.execute(
                "INSERT INTO person_competency_status VALUES (?, ?, 'D1', 'sepsis', ?, ?, ?, ?)",
                [AS_OF, person, status, due, expires, ids],
            )
    return wh


def test_reasons_and_evidence(tmp_path: Path) -> None:
    rows = retraining_list(_warehouse(tmp_path), "D1", "sepsis", AS_OF)
    got = {r["person_key"]: (r["reason"], r["evidence_ids"]) for r in rows}
    assert got == {
        "p1": ("failed", ["fail-1", "old-pass-1"]),
        "p2": ("lapsed", ["old-pass-2"]),
        "p3": ("due_soon", ["pass-3"]),
        "p5": ("update_due", ["pre-change-5"]),
        "p6": ("lapsed", []),
    }
    assert {r["course_id"] for r in rows} == {ACT}
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    only = retraining_list(wh, None, None, None, ["failed", "update_due"])
    assert [r["person_key"] for r in only] == ["p1", "p5"]
    assert [r["person_key"] for r in retraining_list(wh, None, None, None, due_within_days=0)] == [
        "p1", "p2", "p5", "p6",
    ]  # fmt: skip
    assert retraining_list(wh, "D2", None, None) == []
    lines = to_csv(only).splitlines()
    assert lines[1].startswith(f",,{ACT},2026-03-01,failed,D1,sepsis,fail-1;old-pass-1,p1,")
