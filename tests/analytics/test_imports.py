"""Every import kind: good rows upserted on the key, bad rows reported by line and column."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analytics.imports.load import import_file
from analytics.imports.spec import KINDS
from analytics.pseudonym import person_key
from analytics.warehouse import Warehouse
from statements.errors import BadRequest
from tests.analytics.helpers import SECRET

# kind -> (header, good row, (bad row, bad column))
CASES: dict[str, tuple[str, str, tuple[str, str]]] = {
    "departments": (
        "department_id,name,unit_type",
        "icu,Intensive care,icu",
        ("ed,Emergency,spa", "unit_type"),
    ),
    "staff": (
        "person_id,department_id,role_code,hire_date,mbox",
        "p1,icu,rn,2020-01-01,mailto:a@example.org",
        ("p2,icu,rn,2020-01-01,", "mbox"),
    ),
    "roles": (
        "role_code,role_family,title",
        "rn,clinical,Nurse",
        ("md,doctor,Physician", "role_family"),
    ),
    "competencies": (
        "competency_id,name,category,criticality,half_life_days",
        "bls,Basic life support,clinical,3,120",
        ("acls,ACLS,clinical,4,120", "criticality"),
    ),
    "activity_competency": (
        "activity_id,competency_id,evidence_type,weight,mastery_threshold",
        "http://example.org/bls*,bls,course,1,",
        ("not an iri,bls,course,1,0.8", "activity_id"),
    ),
    "role_requirements": (
        "role_code,competency_id,recert_interval_days,evidence_rule",
        "rn,bls,730,passed",
        ("rn,acls,two years,passed", "recert_interval_days"),
    ),
    "protocol_changes": (
        "competency_id,change_date,invalidates_prior,carryover",
        "bls,2025-10-01,true,0.5",
        ("bls,2025-11-01,maybe,0.5", "invalidates_prior"),
    ),
    "regulated_tasks": (
        "task_id,name,competency_ids",
        "code_blue,Code blue,bls|acls",
        ("x,Task,", "competency_ids"),
    ),
    "certifications": (
        "person_id,competency_id,issued,expires,issuer",
        "p1,bls,2025-01-01,2027-01-01,AHA",
        ("p1,acls,2025-01-01,2024-01-01,AHA", "expires"),
    ),
    "census": (
        "department_id,month,patient_days,staff_hours_worked",
        "icu,2025-01,900,12000",
        ("icu,2025-13,900,12000", "month"),
    ),
    "incidents": (
        "incident_id,source_system,event_type,discovered_date,department_id,categories,harm_level",
        "i1,rl6,incident,2025-02-01,icu,fall|medication,moderate",
        ("i2,rl6,incident,2025-02-01,icu,fall,", "harm_level"),
    ),
    "category_competency": (
        "category,competency_id,weight",
        "fall,falls_prevention,1",
        ("falls,x,1", "category"),
    ),
}


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.duckdb")


def load(wh: Warehouse, kind: str, text: str, fmt: str = "csv", **kw: Any) -> dict[str, Any]:
    return import_file(wh, kind, text.encode(), fmt, SECRET, **kw).as_dict()


def test_every_kind_is_covered() -> None:
    assert set(CASES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_good_and_bad_rows(wh: Warehouse, kind: str) -> None:
    header, good, (bad, column) = CASES[kind]
    report = load(wh, kind, f"{header}\n{good}\n{bad}\n")
    assert report["loaded"] == 1 and report["refused"] is None
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, column)]
    assert report["errors"][0]["reason"]
    with wh.read() as conn:
        count = conn.execute(f"SELECT count(*) FROM {kind}").fetchone()
    assert count == (1,)  # no seed crosswalk pre-loaded: the crosswalk is the hospital's


@pytest.mark.parametrize("kind", sorted(CASES))
def test_strict_loads_nothing(wh: Warehouse, kind: str) -> None:
    header, good, (bad, _) = CASES[kind]
    report = load(wh, kind, f"{header}\n{good}\n{bad}\n", strict=True)
    assert report["loaded"] == 0 and len(report["errors"]) == 1
    assert not wh.exists()


def test_upsert_on_key_and_typed_columns(wh: Warehouse) -> None:
    header = "department_id,month,patient_days,staff_hours_worked"
    load(wh, "census", f"{header}\nicu,2025-01,900,12000\nicu,2025-02,800,\n")
    load(wh, "census", f"{header}\nicu,2025-01,950,12500\n")
    with wh.read() as conn:
        got = conn.execute("SELECT * FROM census ORDER BY month").fetchall()
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'census'"
            ).fetchall()
        )
    assert got == [
        ("icu", date(2025, 1, 1), 950.0, 12500.0, None, None, None),
        ("icu", date(2025, 2, 1), 800.0, None, None, None, None),
    ]
    assert types["month"] == "DATE" and types["patient_days"] == "DOUBLE"


def test_lists_defaults_and_jsonl(wh: Warehouse) -> None:
    lines = [
        {
            "task_id": "t1",
            "name": "Transfuse",
            "competency_ids": ["blood_transfusion", "patient_identification"],
        },
        {"task_id": "t2", "name": "Code", "competency_ids": "bls|acls"},
        {"task_id": "t3", "name": 7},
    ]
    report = load(wh, "regulated_tasks", "\n".join(json.dumps(x) for x in lines), fmt="jsonl")
    assert report["loaded"] == 2
    assert report["errors"] == [{"line": 3, "column": "competency_ids", "reason": "required"}]
    load(wh, "activity_competency", "activity_id,competency_id\nhttp://example.org/a,bls\n")
    load(wh, "role_requirements", "role_code,competency_id,recert_interval_days\nrn,bls,365\n")
    with wh.read() as conn:
        assert conn.execute(
            "SELECT competency_ids FROM regulated_tasks ORDER BY task_id"
        ).fetchall() == [
            (["blood_transfusion", "patient_identification"],),
            (["bls", "acls"],),
        ]
        assert conn.execute("SELECT mastery_threshold FROM activity_competency").fetchone() == (
            0.8,
        )
        assert conn.execute(
            "SELECT initial_due_days, grace_days FROM role_requirements"
        ).fetchone() == (30.0, 0.0)


@pytest.mark.parametrize("column", ["mrn", "patient_name", "DOB", "nhs_number"])
def test_incident_file_with_patient_identifiers_is_refused_whole(
    wh: Warehouse, column: str
) -> None:
    header, good, _ = CASES["incidents"]
    report = load(wh, "incidents", f"{header},{column}\n{good},x\n")
    assert report["refused"] and report["loaded"] == 0
    assert report["errors"][0]["column"] == column
    assert not wh.exists()


def test_unknown_and_missing_columns_refuse_the_file(wh: Warehouse) -> None:
    report = load(wh, "roles", "role_code,title,colour\nrn,Nurse,blue\n")
    assert report["refused"]
    assert {(e["column"], e["reason"]) for e in report["errors"]} == {
        ("colour", "unknown column"),
        ("role_family", "required column missing"),
    }


def test_row_shape_and_duplicate_key_errors(wh: Warehouse) -> None:
    report = load(wh, "roles", "role_code,role_family\nrn,clinical\nrn,admin\nmd\n")
    assert report["loaded"] == 1
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (3, "role_code"),
        (4, "role_family"),
    ]
    assert report["errors"][1]["reason"] == "1 values for 2 columns: missing role_family"


def test_long_row_names_the_last_column(wh: Warehouse) -> None:
    report = load(wh, "roles", "role_code,role_family\nrn,clinical,extra\n")
    assert [(e["column"], e["reason"]) for e in report["errors"]] == [
        ("role_family", "3 values for 2 columns: extra values after role_family")
    ]


def test_staff_and_certifications_are_pseudonymised(wh: Warehouse) -> None:
    header, good, _ = CASES["staff"]
    load(wh, "staff", f"{header}\n{good}\n")
    load(
        wh,
        "certifications",
        "person_id,competency_id,issued,expires\np1,bls,2025-01-01,2027-01-01\n",
    )
    with wh.read() as conn:
        staff_cols = [r[0] for r in conn.execute("DESCRIBE staff").fetchall()]
        cert = conn.execute("SELECT person_key FROM certifications").fetchone()
    assert "person_id" not in staff_cols and "mbox" not in staff_cols and "person_key" in staff_cols
    assert cert == (person_key(SECRET, "p1"),)


def test_account_identity_must_be_complete(wh: Warehouse) -> None:
    text = "person_id,department_id,role_code,hire_date,account_homepage,account_name\np1,icu,rn,2020-01-01,http://hr,\n"
    report = load(wh, "staff", text)
    assert report["errors"][0]["column"] == "account_name"


def test_unknown_kind_is_bad_request(wh: Warehouse) -> None:
    with pytest.raises(BadRequest, match="unknown import kind"):
        import_file(wh, "patients", b"a\n1\n", "csv", SECRET)


def test_shipped_seed_is_valid_and_consistent(wh: Warehouse) -> None:
    from analytics.seed import seed_bytes

    assert load(wh, "competencies", seed_bytes("competencies").decode())["errors"] == []
    example = seed_bytes("category_competency").decode()
    assert load(wh, "category_competency", example)["errors"] == []
    with wh.read() as conn:
        orphans = conn.execute(
            "SELECT competency_id FROM category_competency EXCEPT SELECT competency_id FROM competencies"
        ).fetchall()
        categories = conn.execute("SELECT DISTINCT category FROM category_competency").fetchall()
    assert orphans == []
    assert {"medication", "fall", "hai", "privacy_breach", "sharps_exposure"} <= {
        c for (c,) in categories
    }
