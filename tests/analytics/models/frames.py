"""Tiny hand-made input frames in the warehouse's column contract."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from analytics.models.evidence import EVIDENCE_SCHEMA

ADL = "http://adlnet.gov/expapi/verbs/"
PASSED, FAILED, COMPLETED, ANSWERED, LAUNCHED = (
    ADL + v for v in ("passed", "failed", "completed", "answered", "launched")
)
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"

STATEMENT_SCHEMA = pl.Schema(
    {
        "statement_id": pl.Utf8,
        "person_key": pl.Utf8,
        "verb_id": pl.Utf8,
        "object_id": pl.Utf8,
        "object_type": pl.Utf8,
        "registration": pl.Utf8,
        "parent_ids": pl.List(pl.Utf8),
        "grouping_ids": pl.List(pl.Utf8),
        "category_ids": pl.List(pl.Utf8),
        "interaction_type": pl.Utf8,
        "response": pl.Utf8,
        "score_scaled": pl.Float64,
        "score_raw": pl.Float64,
        "score_min": pl.Float64,
        "score_max": pl.Float64,
        "success": pl.Boolean,
        "completion": pl.Boolean,
        "duration_s": pl.Float64,
        "timestamp": pl.Datetime("us", "UTC"),
        "stored": pl.Datetime("us", "UTC"),
        "department_id": pl.Utf8,
        "role_code": pl.Utf8,
    }
)


def ts(d: date, hour: int = 10) -> datetime:
    """A UTC timestamp on day ``d``."""
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def stmt(sid: str, person: str | None, verb: str, obj: str, on: date, **kw: Any) -> dict[str, Any]:
    """One flattened statement row; keyword arguments override columns."""
    row: dict[str, Any] = dict.fromkeys(STATEMENT_SCHEMA)
    row |= {
        "statement_id": sid,
        "person_key": person,
        "verb_id": verb,
        "object_id": obj,
        "object_type": "Activity",
        "parent_ids": [],
        "grouping_ids": [],
        "category_ids": [],
        "timestamp": ts(on),
        "stored": ts(on, 11),
        "department_id": "D1",
        "role_code": "RN",
    }
    row |= kw
    return row


def statements(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Statements frame from ``stmt`` rows."""
    return pl.DataFrame(rows, schema=STATEMENT_SCHEMA)


def staff(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """(person_key, department_id, role_code, hire_date, end_date, fte, employment_type)."""
    return pl.DataFrame(
        rows,
        schema={
            "person_key": pl.Utf8,
            "department_id": pl.Utf8,
            "role_code": pl.Utf8,
            "hire_date": pl.Date,
            "end_date": pl.Date,
            "fte": pl.Float64,
            "employment_type": pl.Utf8,
        },
        orient="row",
    )


def requirements(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """(role_code, competency_id, recert, initial_due, grace, evidence_rule)."""
    return pl.DataFrame(
        rows,
        schema={
            "role_code": pl.Utf8,
            "competency_id": pl.Utf8,
            "recert_interval_days": pl.Int64,
            "initial_due_days": pl.Int64,
            "grace_days": pl.Int64,
            "evidence_rule": pl.Utf8,
        },
        orient="row",
    )


def activity_map(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    """(activity_id, competency_id, mastery_threshold)."""
    return pl.DataFrame(
        [(a, c, "knowledge_check", 1.0, m) for a, c, m in rows],
        schema={
            "activity_id": pl.Utf8,
            "competency_id": pl.Utf8,
            "evidence_type": pl.Utf8,
            "weight": pl.Float64,
            "mastery_threshold": pl.Float64,
        },
        orient="row",
    )


def changes(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """(competency_id, change_date, invalidates_prior, retrain_due_days, carryover)."""
    return pl.DataFrame(
        [(c, d, "v2", inv, due, co) for c, d, inv, due, co in rows],
        schema={
            "competency_id": pl.Utf8,
            "change_date": pl.Date,
            "new_version": pl.Utf8,
            "invalidates_prior": pl.Boolean,
            "retrain_due_days": pl.Int64,
            "carryover": pl.Float64,
        },
        orient="row",
    )


def certs(rows: list[tuple[str, str, date, date]]) -> pl.DataFrame:
    """(person_key, competency_id, issued, expires)."""
    return pl.DataFrame(
        [(*r, "AHA") for r in rows],
        schema={
            "person_key": pl.Utf8,
            "competency_id": pl.Utf8,
            "issued": pl.Date,
            "expires": pl.Date,
            "issuer": pl.Utf8,
        },
        orient="row",
    )


def competencies(rows: list[tuple[str, str, float | None]]) -> pl.DataFrame:
    """(competency_id, category, half_life_days)."""
    return pl.DataFrame(
        [(c, c, cat, 2, h) for c, cat, h in rows],
        schema={
            "competency_id": pl.Utf8,
            "name": pl.Utf8,
            "category": pl.Utf8,
            "criticality": pl.Int64,
            "half_life_days": pl.Float64,
        },
        orient="row",
    )


def evidence_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """An evidence frame from partial rows (missing columns null)."""
    return pl.DataFrame([dict.fromkeys(EVIDENCE_SCHEMA) | r for r in rows], schema=EVIDENCE_SCHEMA)


def answered(rows: list[tuple[str, str, str, str | None, bool, date]]) -> pl.DataFrame:
    """(person_key, competency_id, object_id, registration, success, on) first attempts."""
    return pl.DataFrame(
        [
            (p, c, f"a{i}", o, reg, ok, ts(on), True)
            for i, (p, c, o, reg, ok, on) in enumerate(rows)
        ],
        schema={
            "person_key": pl.Utf8,
            "competency_id": pl.Utf8,
            "statement_id": pl.Utf8,
            "object_id": pl.Utf8,
            "registration": pl.Utf8,
            "success": pl.Boolean,
            "at": pl.Datetime("us", "UTC"),
            "first_attempt": pl.Boolean,
        },
        orient="row",
    )


NO_CHANGES = changes([])
NO_CERTS = certs([])
