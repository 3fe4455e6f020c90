"""The statement-store contract, run against every backend (the ``store`` fixture)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from statements.errors import BadRequest, Conflict
from statements.prepare import prepare
from statements.query import StatementQuery
from statements.store.base import Attachment, StatementRecord
from tests.conftest import BACKENDS

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}}
OTHER_AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "o"}}
T0 = 1_767_225_600_000_000


def stmt(n: int = 0, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"mbox": f"mailto:learner{n % 3}@example.org"},
        "verb": {"id": f"http://example.org/verbs/v{n % 2}"},
        "object": {"id": f"http://example.org/activities/a{n % 4}"},
    }
    body.update(extra)
    return body


def rec(body: dict[str, Any], at: int = 0, authority: dict[str, Any] = AUTH) -> StatementRecord:
    return prepare(body, authority=authority, api_version="1.0.3", now_us=T0 + at)


@pytest.fixture(params=[*BACKENDS, "sqlite-tail3"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every backend, and SQLite with a 3-statement key tail (queries read both sides)."""
    return str(request.param)


def ids(page: Any) -> list[str]:
    return [r.id for r in page.records]


def test_insert_and_get(store: Any) -> None:
    store.insert([rec(stmt(0))], [])
    found = store.get_by_ids([str(uuid.UUID(int=1)).upper()])
    assert list(found) == [str(uuid.UUID(int=1))]
    assert found[str(uuid.UUID(int=1))].body["verb"]["id"] == "http://example.org/verbs/v0"


def test_duplicate_id_is_conflict_and_batch_is_atomic(store: Any) -> None:
    store.insert([rec(stmt(0))], [])
    with pytest.raises(Conflict):
        store.insert([rec(stmt(5)), rec(stmt(0))], [])
    assert store.get_by_ids([str(uuid.UUID(int=6))]) == {}


def test_stored_never_decreases(store: Any) -> None:
    store.insert([rec(stmt(0), at=5_000)], [])
    store.insert([rec(stmt(1), at=1_000)], [])
    page = store.query(StatementQuery(limit=10, ascending=True))
    stored = [r.stored_us for r in page.records]
    assert stored == sorted(stored)
    assert page.records[1].body["stored"] == page.records[0].body["stored"]


def test_query_order_and_paging(store: Any) -> None:
    store.insert([rec(stmt(n), at=n) for n in range(7)], [])
    q = StatementQuery(limit=3)
    seen: list[str] = []
    page = store.query(q)
    while True:
        seen += ids(page)
        if page.next_after is None:
            break
        page = store.query(q.next_page(page.next_after, page.snapshot_seq))
    assert seen == [str(uuid.UUID(int=n + 1)) for n in reversed(range(7))]


def test_paging_ignores_statements_stored_after_first_page(store: Any) -> None:
    store.insert([rec(stmt(n), at=n) for n in range(4)], [])
    q = StatementQuery(limit=2, ascending=True)
    first = store.query(q)
    store.insert([rec(stmt(10), at=100)], [])
    assert first.next_after is not None
    second = store.query(q.next_page(first.next_after, first.snapshot_seq))
    assert ids(first) + ids(second) == [str(uuid.UUID(int=n + 1)) for n in range(4)]
    assert second.next_after is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (StatementQuery(verb="http://example.org/verbs/v1"), {1, 3, 5}),
        (StatementQuery(activity="http://example.org/activities/a1"), {1, 5}),
        (StatementQuery(agent="mbox:mailto:learner0@example.org"), {0, 3}),
        (
            StatementQuery(
                agent="mbox:mailto:learner0@example.org", verb="http://example.org/verbs/v1"
            ),
            {3},
        ),
    ],
)
def test_filters(store: Any, query: StatementQuery, expected: set[int]) -> None:
    store.insert([rec(stmt(n), at=n) for n in range(6)], [])
    page = store.query(StatementQuery(**{**query.__dict__, "limit": 50}))
    assert set(ids(page)) == {str(uuid.UUID(int=n + 1)) for n in expected}


def test_since_until_on_stored(store: Any) -> None:
    for n in range(5):
        store.insert([rec(stmt(n), at=n * 1_000_000)], [])
    page = store.query(StatementQuery(limit=50, since=T0 + 1_000_000, until=T0 + 3_000_000))
    assert set(ids(page)) == {str(uuid.UUID(int=n + 1)) for n in (2, 3)}


def test_registration_and_related_activities(store: Any) -> None:
    reg = str(uuid.UUID(int=99))
    ctx = {
        "registration": reg,
        "contextActivities": {"parent": [{"id": "http://example.org/activities/course"}]},
    }
    store.insert([rec(stmt(0, context=ctx)), rec(stmt(1), at=1)], [])
    assert ids(store.query(StatementQuery(limit=9, registration=reg))) == [str(uuid.UUID(int=1))]
    course = "http://example.org/activities/course"
    assert ids(store.query(StatementQuery(limit=9, activity=course))) == []
    related = StatementQuery(limit=9, activity=course, related_activities=True)
    assert ids(store.query(related)) == [str(uuid.UUID(int=1))]


def test_related_agents_include_authority(store: Any) -> None:
    store.insert([rec(stmt(0), authority=OTHER_AUTH)], [])
    key = "account:http://lrs.test|o"
    assert ids(store.query(StatementQuery(limit=9, agent=key))) == []
    assert len(ids(store.query(StatementQuery(limit=9, agent=key, related_agents=True)))) == 1


def void(n: int, target: int) -> dict[str, Any]:
    return stmt(
        n,
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": str(uuid.UUID(int=target + 1))},
    )


def test_voiding_hides_target_but_keeps_it_reachable(store: Any) -> None:
    store.insert([rec(stmt(0)), rec(void(1, 0), at=1)], [])
    target = store.get_by_ids([str(uuid.UUID(int=1))])[str(uuid.UUID(int=1))]
    assert target.voided
    assert ids(store.query(StatementQuery(limit=9))) == [str(uuid.UUID(int=2))]


def test_voiding_before_target_arrives(store: Any) -> None:
    store.insert([rec(void(1, 0))], [])
    store.insert([rec(stmt(0), at=1)], [])
    assert store.get_by_ids([str(uuid.UUID(int=1))])[str(uuid.UUID(int=1))].voided


def test_voiding_a_voiding_statement_is_refused(store: Any) -> None:
    store.insert([rec(stmt(0)), rec(void(1, 0), at=1)], [])
    with pytest.raises(BadRequest):
        store.insert([rec(void(2, 1), at=2)], [])
    assert not store.get_by_ids([str(uuid.UUID(int=2))])[str(uuid.UUID(int=2))].voided


def test_statement_ref_matches_target_filters(store: Any) -> None:
    # 2 -> 1 -> 0 (StatementRef chain); 0 has verb v0, activity a0
    ref1 = stmt(1, object={"objectType": "StatementRef", "id": str(uuid.UUID(int=1))})
    ref2 = stmt(2, object={"objectType": "StatementRef", "id": str(uuid.UUID(int=2))})
    ref2["verb"] = {"id": "http://example.org/verbs/other"}
    ref1["verb"] = {"id": "http://example.org/verbs/other"}
    store.insert([rec(ref2)], [])  # arrives before its target
    store.insert([rec(ref1, at=1), rec(stmt(0), at=2)], [])
    page = store.query(StatementQuery(limit=9, verb="http://example.org/verbs/v0"))
    assert set(ids(page)) == {str(uuid.UUID(int=n)) for n in (1, 2, 3)}


def test_attachments_stored_once_per_hash(store: Any) -> None:
    att = Attachment("ab" * 32, "text/plain", b"hello")
    store.insert([rec(stmt(0))], [att])
    store.insert([rec(stmt(1), at=1)], [att])
    assert store.get_attachments(["ab" * 32]) == {"ab" * 32: att}
    assert store.get_attachments(["cd" * 32]) == {}


def test_iter_since_returns_everything_in_order(store: Any) -> None:
    store.insert([rec(stmt(n), at=n) for n in range(5)], [])
    store.insert([rec(void(9, 0), at=9)], [])
    batches = list(store.iter_since(0, batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 2]
    flat = [r for b in batches for r in b]
    assert [r.seq for r in flat] == sorted(r.seq for r in flat)
    assert flat[0].voided
    assert list(store.iter_since(flat[-1].seq)) == []


def test_authority_filter_for_read_mine(store: Any) -> None:
    store.insert([rec(stmt(0)), rec(stmt(1), at=1, authority=OTHER_AUTH)], [])
    page = store.query(StatementQuery(limit=9, authority="account:http://lrs.test|o"))
    assert ids(page) == [str(uuid.UUID(int=2))]
