"""The alerts store contract on every backend: subscriptions, events raised once, the outbox."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from statements.alerts.model import Event, Subscription, decide, digest_id, event_id
from statements.alerts.store import alerts_store
from statements.errors import Conflict


def _event(dept: str = "ICU", month: str = "2026-05", kind: str = "flag_priority") -> Event:
    return Event(
        id=event_id(kind, dept, "C1", month),
        kind=kind,
        severity="high",
        month=month,
        department_id=dept,
        competency_id="C1",
        title=f"{dept} C1 flagged",
        reason="lapses rose",
        link="http://lrs/dashboards/heatmap",
        evidence={"flag": "PRIORITY", "explanation": {"reason": "lapses rose"}},
        raised_us=1000,
    )


def _sub(sub_id: str = "s1", **kw: Any) -> Subscription:
    spec: dict[str, Any] = {"channel": "email", "target": "a@example.org", **kw}
    return Subscription(id=sub_id, owner="lead", **spec)


def test_subscriptions_add_list_remove(store: Any) -> None:
    alerts = alerts_store(store)
    alerts.add_subscription(_sub("s1", departments=("ICU",), secret=None))
    alerts.add_subscription(_sub("s2", channel="webhook", target="http://h/x", secret="k"))
    with pytest.raises(Conflict):
        alerts.add_subscription(_sub("s1"))
    assert [s.id for s in alerts.list_subscriptions()] == ["s1", "s2"]
    assert alerts.get_subscription("s1") == _sub("s1", departments=("ICU",))
    assert alerts.list_subscriptions(owner="nobody") == []
    assert alerts.remove_subscription("s1") and not alerts.remove_subscription("s1")
    assert [s.id for s in alerts.list_subscriptions()] == ["s2"]


def test_event_and_outbox_kept_once(store: Any) -> None:
    alerts = alerts_store(store)
    subs = [_sub("s1", departments=("ICU",)), _sub("s2", departments=("ED",), immediate=False)]
    events = [_event("ICU"), _event("ED")]
    _, rows = decide(events, subs, now_us=5)
    assert sorted(alerts.record(events, rows)) == sorted(e.id for e in events)
    assert alerts.record(events, rows) == []  # the same ids again: nothing new
    items = alerts.list_items()
    assert [(i.subscription_id, i.state) for i in items] == [("s1", "pending"), ("s2", "held")]
    assert [i.id for i in alerts.due_items(now_us=5)] == [items[0].id]
    assert alerts.count_items() == {"pending": 1, "held": 1}
    assert alerts.get_events([events[0].id])[events[0].id] == events[0]
    assert [e.id for e in alerts.list_events(0)] == sorted(e.id for e in events)


def test_rows_of_an_old_event_are_not_queued_again(store: Any) -> None:
    alerts = alerts_store(store)
    ev = _event()
    alerts.record([ev], [])
    _, rows = decide([ev], [_sub("late")], now_us=9)
    assert alerts.record([ev], rows) == [] and alerts.list_items() == []


def test_outbox_progress_dead_and_retry(store: Any) -> None:
    alerts = alerts_store(store)
    alerts.add_subscription(_sub("s1"))
    ev = _event()
    _, rows = decide([ev], [_sub("s1")], now_us=1)
    alerts.record([ev], rows)
    item = alerts.due_items(10)[0]
    item.attempts, item.next_attempt_us, item.last_error = 1, 50, "refused"
    alerts.save_item(item)
    assert alerts.due_items(10) == [] and len(alerts.due_items(50)) == 1
    item.state = "dead"
    alerts.save_item(item)
    dead = alerts.list_items(state="dead")
    assert [(d.id, d.last_error, d.attempts) for d in dead] == [(item.id, "refused", 1)]
    assert alerts.retry_dead("other") == 0 and alerts.retry_dead() == 1
    again = alerts.due_items(0)
    assert [(i.id, i.attempts, i.state) for i in again] == [(item.id, 0, "pending")]
    assert alerts.remove_subscription("s1") and alerts.list_items() == []


def test_digest_rows_are_idempotent(store: Any) -> None:
    from statements.alerts.model import OutboxItem

    alerts = alerts_store(store)
    row = OutboxItem(digest_id("s1", "2026-06-01"), "s1", "digest", ["a", "b"], created_us=3)
    assert alerts.add_items([row]) == 1 and alerts.add_items([row]) == 0
    assert alerts.list_items(subscription_id="s1")[0].event_ids == ["a", "b"]


def test_staff_level_events_need_a_staff_subscription() -> None:
    from statements.alerts.model import matches

    cliff = _event(kind="certification_cliff")
    assert not matches(_sub(), cliff) and matches(_sub(staff_level=True), cliff)
    medium = dataclasses.replace(_event(kind="flag_low"), severity="medium")
    assert not matches(_sub(min_severity="high"), medium) and matches(_sub(), medium)
    assert not matches(_sub(sites=("North",)), _event())


def test_mongo_finishes_a_decision_cut_short(tmp_path: Any) -> None:
    """A crash after the event document (rows embedded) but before the rows were copied to the
    outbox: the next read materialises them, once."""
    from statements.alerts.codec import event_doc, item_doc
    from tests.conftest import make_store

    store = make_store("mongomock", tmp_path)
    alerts = alerts_store(store)
    ev = _event()
    _, rows = decide([ev], [_sub("s1")], now_us=1)
    store.db.alert_events.insert_one(
        {
            "_id": ev.id,
            "raised_us": 1,
            "body": event_doc(ev),
            "rows": [item_doc(r) for r in rows],
            "materialized": False,
        }
    )
    assert [i.id for i in alerts.due_items(5)] == [rows[0].id]
    assert [i.id for i in alerts.due_items(5)] == [rows[0].id]  # copied once
    assert alerts.record([ev], rows) == []
    store.close()
