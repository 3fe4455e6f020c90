"""Webhooks: signed JSON to a real loopback receiver that fails on purpose; retries, dead letters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analytics.notify.alerts import record_decisions
from analytics.notify.render import webhook_payload
from analytics.notify.sender import Policy, Sender
from analytics.notify.transports import WebhookTransport, signature
from statements.alerts.model import OutboxItem
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.alerts.factories import event, sub
from tests.alerts.servers import webhook_receiver

SECOND = 1_000_000


def _setup(tmp_path: Path, url: str, **kw: Any) -> Any:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    alerts = alerts_store(store)
    alerts.add_subscription(sub("hook", "webhook", url, secret="s3cret", **kw))
    events = [event("D03"), event("D07"), event("D09")]
    record_decisions(alerts, events, now_us=0)
    return alerts, events


def _drain(sender: Sender, now: list[int], rounds: int = 20) -> None:
    for _ in range(rounds):
        sender.run_once()
        now[0] += 60 * SECOND  # past the longest backoff of these policies


def test_failing_first_three_ends_with_each_event_exactly_once(tmp_path: Path) -> None:
    with webhook_receiver(fail_first=3) as rx:
        alerts, events = _setup(tmp_path, rx.url)
        now = [0]
        hook = WebhookTransport(lambda: now[0] // SECOND, timeout_s=5)
        sender = Sender(alerts, lambda: now[0], {"webhook": hook}, Policy(5, 1.0, 30.0))
        _drain(sender, now)
    assert [s for _, _, s in rx.requests].count(500) == 3
    delivered = sorted(e["id"] for b in rx.bodies() for e in b["events"])
    assert delivered == sorted(e.id for e in events)  # each once, none lost
    assert sum(1 for _, _, s in rx.requests if s == 200) == 3  # and never re-sent once accepted
    assert alerts.list_items(state="dead") == []
    for headers, body, _ in rx.requests:
        stamp = headers["X-Readiness-Timestamp"]
        assert headers["X-Readiness-Signature"] == signature("s3cret", stamp, body)
        assert headers["Content-Type"] == "application/json"


def test_backoff_doubles_with_the_injected_clock(tmp_path: Path) -> None:
    with webhook_receiver(fail_first=100) as rx:
        alerts, _ = _setup(tmp_path, rx.url, departments=("D03",))
        now = [0]
        hook = WebhookTransport(lambda: 0, timeout_s=5)
        sender = Sender(alerts, lambda: now[0], {"webhook": hook}, Policy(10, 2.0, 5.0))
        waits = []
        for _ in range(4):
            sender.run_once()
            item = alerts.list_items()[0]
            waits.append((item.next_attempt_us - now[0]) / SECOND)
            now[0] = item.next_attempt_us
    assert waits == [2.0, 4.0, 5.0, 5.0]  # base * 2**(n-1), capped
    assert len(rx.requests) == 4


def test_dead_letters_show_what_failed_and_retry_delivers(tmp_path: Path) -> None:
    with webhook_receiver(fail_first=6) as rx:
        alerts, events = _setup(tmp_path, rx.url)
        now = [0]
        hook = WebhookTransport(lambda: 0, timeout_s=5)
        sender = Sender(alerts, lambda: now[0], {"webhook": hook}, Policy(2, 1.0, 1.0))
        _drain(sender, now)
        dead = alerts.list_items(state="dead")
        assert sorted(d.event_ids[0] for d in dead) == sorted(e.id for e in events)
        assert all(d.attempts == 2 and d.last_error.startswith("HTTP 500") for d in dead)
        assert rx.accepted == {}
        assert alerts.retry_dead() == 3
        _drain(sender, now)
    assert sorted(rx.accepted) == sorted(d.id for d in dead)
    assert alerts.list_items(state="dead") == [] and len(alerts.list_items(state="sent")) == 3


def test_slack_and_teams_payloads() -> None:
    ev = event("D03")
    item = OutboxItem("alert|s|x", "s", "alert", [ev.id])
    slack = webhook_payload("slack", item, [ev])
    assert set(slack) == {"text"} and f"<{ev.link}|{ev.title}>" in slack["text"]
    teams = webhook_payload("teams", item, [ev])
    assert teams["@type"] == "MessageCard" and teams["@context"] == "https://schema.org/extensions"
    facts = {f["name"]: f["value"] for f in teams["sections"][0]["facts"]}
    assert facts["Reason"] == ev.reason and facts["Competency"] == "Sepsis recognition"
    assert teams["potentialAction"][0]["targets"][0]["uri"] == ev.link
    generic = webhook_payload("generic", item, [ev])
    assert json.loads(json.dumps(generic))["events"][0]["reason"] == ev.reason
