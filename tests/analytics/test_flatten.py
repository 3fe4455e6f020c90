"""Flattening every statement shape into typed, pseudonymised columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from analytics.flatten import SCHEMA, duration_seconds, flatten, identity_of
from analytics.pseudonym import actor_key, person_key
from tests.analytics.helpers import SECRET, rec, stmt, void


def one(body: dict[str, Any], voided: bool = False) -> dict[str, Any]:
    record = rec(body)
    record.voided = voided
    flat = flatten([record], SECRET)
    return flat.frame.to_dicts()[0]


def test_activity_with_result_and_context() -> None:
    row = one(
        stmt(
            1,
            timestamp="2025-06-01T12:00:00+02:00",
            result={
                "score": {"scaled": 0.85, "raw": 17, "min": 0, "max": 20},
                "success": True,
                "completion": True,
                "duration": "PT1H2M3.5S",
                "response": "b",
            },
            context={
                "registration": "6f1b7d4e-9c7a-4b8e-8f00-0123456789ab",
                "contextActivities": {
                    "parent": [{"id": "http://example.org/course"}],
                    "grouping": {"id": "http://example.org/program"},
                    "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                },
            },
            object={
                "id": "http://example.org/q1",
                "definition": {"interactionType": "choice"},
            },
        )
    )
    assert row["actor_key"] == actor_key(SECRET, "mbox:mailto:ann@example.org")
    assert row["object_id"] == "http://example.org/q1"
    assert (row["object_type"], row["interaction_type"]) == ("Activity", "choice")
    assert row["registration"] == "6f1b7d4e-9c7a-4b8e-8f00-0123456789ab"
    assert row["parent_ids"] == ["http://example.org/course"]
    assert row["grouping_ids"] == ["http://example.org/program"]
    assert row["category_ids"] == ["https://w3id.org/xapi/cmi5/context/categories/cmi5"]
    assert (row["score_scaled"], row["score_raw"], row["score_min"], row["score_max"]) == (
        0.85,
        17.0,
        0.0,
        20.0,
    )
    assert (row["success"], row["completion"], row["response"]) == (True, True, "b")
    assert row["duration_s"] == pytest.approx(3723.5)
    assert row["timestamp"] == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert row["stored"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert (row["voided"], row["is_voiding"]) == (False, False)
    assert row["person_key"] is None and row["department_id"] is None


def test_minimal_statement_has_nulls_and_empty_lists() -> None:
    row = one(stmt(2))
    assert row["parent_ids"] == [] and row["registration"] is None
    assert row["score_scaled"] is None and row["success"] is None and row["duration_s"] is None


def test_substatement_object() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:bob@example.org"},
        "verb": {"id": "http://example.org/verbs/will-attend"},
        "object": {"id": "http://example.org/session", "definition": {"interactionType": "other"}},
    }
    row = one(stmt(3, object=sub))
    assert row["object_type"] == "SubStatement"
    assert row["object_id"] == "http://example.org/session"
    assert row["interaction_type"] == "other"


def test_agent_as_object_is_pseudonymised() -> None:
    row = one(stmt(4, object={"objectType": "Agent", "mbox": "mailto:Bob@Example.ORG"}))
    assert row["object_type"] == "Agent"
    assert row["object_id"] == actor_key(SECRET, "mbox:mailto:Bob@example.org")
    assert "example" not in str(row)


def test_identified_and_anonymous_groups() -> None:
    identified = {"objectType": "Group", "account": {"homePage": "http://h", "name": "team"}}
    members = [{"mbox": "mailto:b@example.org"}, {"mbox": "mailto:a@example.org"}]
    anonymous = {"objectType": "Group", "member": members}
    assert one(stmt(5, actor=identified))["actor_key"] == actor_key(SECRET, "account:http://h|team")
    expected = "group:mbox:mailto:a@example.org,mbox:mailto:b@example.org"
    assert identity_of(anonymous) == expected
    assert one(stmt(6, actor=anonymous))["actor_key"] == actor_key(SECRET, expected)


def test_voiding_and_voided_flags() -> None:
    row = one(void(7, target=1))
    assert (row["is_voiding"], row["object_type"]) == (True, "StatementRef")
    assert row["object_id"] == "00000000-0000-0000-0000-000000000001"
    assert one(stmt(8), voided=True)["voided"] is True


def test_frame_has_the_contract_schema_and_actors_map() -> None:
    flat = flatten([rec(stmt(1)), rec(stmt(2, who="bob"))], SECRET)
    assert flat.frame.columns == list(SCHEMA)
    assert set(flat.actors.values()) == {
        "mbox:mailto:ann@example.org",
        "mbox:mailto:bob@example.org",
    }


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT30S", 30.0), ("P1D", 86400.0), ("P1W", 604800.0), ("PT0.5S", 0.5), ("bad", None)],
)
def test_duration_seconds(text: str, seconds: float | None) -> None:
    assert duration_seconds(text) == seconds


def test_pseudonyms_are_keyed_and_domain_separated() -> None:
    assert person_key(b"k1", "p1") != person_key(b"k2", "p1")
    assert person_key(b"k1", "p1") != actor_key(b"k1", "p1")
    assert len(person_key(b"k1", "p1")) == 24
