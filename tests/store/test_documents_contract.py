"""The document / Activity / Agent store contract, run against every backend (``store``)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from statements.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    DocumentScope,
    Precondition,
    sha1_hex,
)
from statements.errors import BadRequest, Conflict, PreconditionFailed

ACT = "http://example.org/activities/a1"
AGENT = "mbox:mailto:learner@example.org"
REG = "6f1b7d4e-9c7a-4b8e-8f00-0123456789ab"
T0 = 1_767_225_600_000_000

STATE_SCOPE = DocumentScope(STATE, ACT, AGENT)
REG_SCOPE = DocumentScope(STATE, ACT, AGENT, REG)
ACT_SCOPE = DocumentScope(ACTIVITY_PROFILE, activity_id=ACT)
AGENT_SCOPE = DocumentScope(AGENT_PROFILE, agent_key=AGENT)
JSON = "application/json"


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize("scope", [STATE_SCOPE, REG_SCOPE, ACT_SCOPE, AGENT_SCOPE])
def test_put_get_roundtrip(store: Any, scope: DocumentScope) -> None:
    doc = store.put_document(scope, "d1", b'{"a":1}', JSON, T0)
    got = store.get_document(scope, "d1")
    assert got == doc
    assert got.content == b'{"a":1}'
    assert got.etag == '"' + sha1_hex(b'{"a":1}') + '"'
    assert got.updated_us == T0
    assert store.get_document(scope, "other") is None


def test_scopes_are_separate(store: Any) -> None:
    store.put_document(STATE_SCOPE, "d", b"1", JSON, T0)
    assert store.get_document(REG_SCOPE, "d") is None
    assert store.get_document(DocumentScope(STATE, ACT, "mbox:mailto:x@example.org"), "d") is None
    assert store.get_document(DocumentScope(STATE, ACT + "/other", AGENT), "d") is None
    assert store.get_document(ACT_SCOPE, "d") is None


def test_binary_content_and_content_type_kept_exactly(store: Any) -> None:
    raw = bytes(range(256)) * 4
    ctype = "image/x-custom; charset=binary; q=1"
    store.put_document(AGENT_SCOPE, "bin", raw, ctype, T0)
    got = store.get_document(AGENT_SCOPE, "bin")
    assert got.content == raw
    assert got.content_type == ctype
    assert got.digest == sha1_hex(raw)


def test_put_replaces(store: Any) -> None:
    store.put_document(ACT_SCOPE, "d", body({"a": 1}), JSON, T0)
    store.put_document(ACT_SCOPE, "d", b"text", "text/plain", T0 + 5)
    got = store.get_document(ACT_SCOPE, "d")
    assert (got.content, got.content_type, got.updated_us) == (b"text", "text/plain", T0 + 5)


def test_if_match(store: Any) -> None:
    first = store.put_document(ACT_SCOPE, "d", b"1", JSON, T0)
    with pytest.raises(PreconditionFailed):
        store.put_document(ACT_SCOPE, "d", b"2", JSON, T0 + 1, Precondition(frozenset({"bad"})))
    assert store.get_document(ACT_SCOPE, "d").content == b"1"
    store.put_document(ACT_SCOPE, "d", b"2", JSON, T0 + 1, Precondition(frozenset({first.digest})))
    assert store.get_document(ACT_SCOPE, "d").content == b"2"
    store.put_document(ACT_SCOPE, "d", b"3", JSON, T0 + 2, Precondition(frozenset({"*"})))
    assert store.get_document(ACT_SCOPE, "d").content == b"3"


def test_if_match_on_missing_document_fails(store: Any) -> None:
    with pytest.raises(PreconditionFailed):
        store.put_document(ACT_SCOPE, "d", b"1", JSON, T0, Precondition(frozenset({"*"})))
    assert store.get_document(ACT_SCOPE, "d") is None


def test_if_none_match_star(store: Any) -> None:
    star = Precondition(if_none_match=frozenset({"*"}))
    store.put_document(AGENT_SCOPE, "d", b"1", JSON, T0, star)
    with pytest.raises(PreconditionFailed):
        store.put_document(AGENT_SCOPE, "d", b"2", JSON, T0 + 1, star)
    with pytest.raises(PreconditionFailed):
        store.merge_document(AGENT_SCOPE, "d", b"{}", JSON, T0 + 1, star)
    assert store.get_document(AGENT_SCOPE, "d").content == b"1"


def test_conflict_and_reject_without_headers(store: Any) -> None:
    profile_rule = Precondition(conflict_if_exists=True, reject_if_absent=True)
    with pytest.raises(BadRequest):
        store.put_document(ACT_SCOPE, "d", b"1", JSON, T0, profile_rule)
    assert store.get_document(ACT_SCOPE, "d") is None
    store.put_document(ACT_SCOPE, "d", b"1", JSON, T0)
    with pytest.raises(Conflict):
        store.put_document(ACT_SCOPE, "d", b"2", JSON, T0 + 1, profile_rule)
    state_rule = Precondition(conflict_if_exists=True)
    store.put_document(STATE_SCOPE, "s", b"1", JSON, T0, state_rule)
    with pytest.raises(Conflict):
        store.put_document(STATE_SCOPE, "s", b"2", JSON, T0 + 1, state_rule)
    assert store.get_document(ACT_SCOPE, "d").content == b"1"
    assert store.get_document(STATE_SCOPE, "s").content == b"1"


def test_merge_creates_then_merges_top_level(store: Any) -> None:
    store.merge_document(STATE_SCOPE, "d", body({"x": "foo", "y": {"a": 1}}), JSON, T0)
    merged = store.merge_document(
        STATE_SCOPE, "d", body({"x": "bash", "z": "faz", "y": {"b": 2}}), JSON, T0 + 1
    )
    assert json.loads(merged.content) == {"x": "bash", "y": {"b": 2}, "z": "faz"}
    got = store.get_document(STATE_SCOPE, "d")
    assert json.loads(got.content) == {"x": "bash", "y": {"b": 2}, "z": "faz"}
    assert got.updated_us == T0 + 1
    assert got.digest == sha1_hex(got.content)


def test_merge_of_new_non_json_document_stores_it(store: Any) -> None:
    store.merge_document(STATE_SCOPE, "d", b"plain", "text/plain", T0)
    assert store.get_document(STATE_SCOPE, "d").content_type == "text/plain"


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a":1}', JSON, b"abc", "text/plain"),
        (b"abc", "application/octet-stream", b'{"a":1}', JSON),
        (b'{"a":1}', JSON, b'{"a":', JSON),
        (b'{"a":1}', JSON, b"[1,2]", JSON),
        (b"[1]", JSON, b'{"a":1}', JSON),
    ],
)
def test_merge_refuses_non_objects_and_changes_nothing(
    store: Any, stored: bytes, stored_type: str, posted: bytes, posted_type: str
) -> None:
    store.put_document(ACT_SCOPE, "d", stored, stored_type, T0)
    with pytest.raises(BadRequest):
        store.merge_document(ACT_SCOPE, "d", posted, posted_type, T0 + 1)
    got = store.get_document(ACT_SCOPE, "d")
    assert (got.content, got.content_type, got.updated_us) == (stored, stored_type, T0)


def test_delete_one(store: Any) -> None:
    doc = store.put_document(AGENT_SCOPE, "d", b"1", JSON, T0)
    with pytest.raises(PreconditionFailed):
        store.delete_document(AGENT_SCOPE, "d", Precondition(frozenset({"nope"})))
    assert store.get_document(AGENT_SCOPE, "d") is not None
    assert store.delete_document(AGENT_SCOPE, "d", Precondition(frozenset({doc.digest}))) is True
    assert store.get_document(AGENT_SCOPE, "d") is None
    assert store.delete_document(AGENT_SCOPE, "d") is False


def test_list_ids_with_since(store: Any) -> None:
    store.put_document(ACT_SCOPE, "old", b"1", JSON, T0)
    store.put_document(ACT_SCOPE, "new", b"1", JSON, T0 + 10)
    store.put_document(DocumentScope(ACTIVITY_PROFILE, activity_id=ACT + "x"), "z", b"1", JSON, T0)
    listed = store.list_document_ids(ACT_SCOPE)
    assert sorted(listed.ids) == ["new", "old"]
    assert listed.last_modified_us == T0 + 10
    assert store.list_document_ids(ACT_SCOPE, since_us=T0).ids == ["new"]  # exclusive
    assert store.list_document_ids(ACT_SCOPE, since_us=T0 + 10).ids == []
    assert store.list_document_ids(ACT_SCOPE, since_us=T0 + 10).last_modified_us is None


def test_state_ids_and_registration(store: Any) -> None:
    store.put_document(STATE_SCOPE, "plain", b"1", JSON, T0)
    store.put_document(REG_SCOPE, "registered", b"1", JSON, T0 + 1)
    assert store.list_document_ids(REG_SCOPE).ids == ["registered"]
    assert sorted(store.list_document_ids(STATE_SCOPE).ids) == ["plain", "registered"]


def test_delete_all_state_with_registration(store: Any) -> None:
    store.put_document(STATE_SCOPE, "plain", b"1", JSON, T0)
    store.put_document(REG_SCOPE, "registered", b"1", JSON, T0)
    store.put_document(ACT_SCOPE, "profile", b"1", JSON, T0)
    assert store.delete_documents(REG_SCOPE) == 1
    assert store.list_document_ids(STATE_SCOPE).ids == ["plain"]
    assert store.get_document(ACT_SCOPE, "profile") is not None


def test_delete_all_state_without_registration(store: Any) -> None:
    other_agent = DocumentScope(STATE, ACT, "mbox:mailto:other@example.org")
    store.put_document(STATE_SCOPE, "plain", b"1", JSON, T0)
    store.put_document(REG_SCOPE, "registered", b"1", JSON, T0)
    store.put_document(other_agent, "keep", b"1", JSON, T0)
    assert store.delete_documents(STATE_SCOPE) == 2
    assert store.list_document_ids(STATE_SCOPE).ids == []
    assert store.list_document_ids(other_agent).ids == ["keep"]


def test_racing_conditional_puts_one_wins(store: Any) -> None:
    first = store.put_document(ACT_SCOPE, "race", b"start", JSON, T0)
    same_tag = Precondition(frozenset({first.digest}))
    results: list[str] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            store.put_document(ACT_SCOPE, "race", f"w{n}".encode(), JSON, T0 + n, same_tag)
            results.append(f"w{n}")
        except PreconditionFailed:
            results.append("412")
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r != "412"]
    assert len(results) == 8
    assert len(winners) == 1
    assert store.get_document(ACT_SCOPE, "race").content == winners[0].encode()


# -- canonical Activities and Agents -----------------------------------------------------------


def activity(aid: str = ACT, **definition: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": aid}
    if definition:
        out["definition"] = definition
    return out


def test_unknown_activity_is_none(store: Any) -> None:
    assert store.get_activity(ACT) is None


def test_first_definition_is_kept_without_define(store: Any) -> None:
    store.upsert_activity_definitions([activity()], may_define=False)
    assert store.get_activity(ACT) == {"objectType": "Activity", "id": ACT}
    store.upsert_activity_definitions([activity(name={"en-US": "one"})], may_define=False)
    store.upsert_activity_definitions(
        [activity(name={"en-US": "two", "fr-FR": "deux"})], may_define=False
    )
    assert store.get_activity(ACT)["definition"] == {"name": {"en-US": "one"}}


def test_define_merges_language_maps_and_replaces_the_rest(store: Any) -> None:
    store.upsert_activity_definitions(
        [
            activity(name={"en-US": "meeting"}, type="http://example.org/t1"),
            activity(name={"fr-FR": "réunion"}, type="http://example.org/t2"),
        ],
        may_define=True,
    )
    assert store.get_activity(ACT) == {
        "objectType": "Activity",
        "id": ACT,
        "definition": {
            "name": {"en-US": "meeting", "fr-FR": "réunion"},
            "type": "http://example.org/t2",
        },
    }


def test_record_agents_and_person(store: Any) -> None:
    assert store.get_agent_person(AGENT) is None
    store.record_agents(
        [
            {"mbox": "mailto:learner@example.org", "name": "Lee"},
            {"mbox": "mailto:learner@example.org", "name": "Lee R."},
            {"mbox": "mailto:learner@example.org", "name": "Lee"},
            {"account": {"homePage": "http://example.org", "name": "u1"}},
            {"objectType": "Group", "member": [{"mbox": "mailto:m@example.org"}]},
        ]
    )
    assert store.get_agent_person(AGENT) == {
        "objectType": "Person",
        "name": ["Lee", "Lee R."],
        "mbox": ["mailto:learner@example.org"],
    }
    assert store.get_agent_person("account:http://example.org|u1") == {
        "objectType": "Person",
        "account": [{"homePage": "http://example.org", "name": "u1"}],
    }
