"""Email alerts and the weekly digest, sent to a real SMTP server on loopback and read back."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from analytics.notify.alerts import queue_digests, record_decisions
from analytics.notify.sender import Policy, Sender
from analytics.notify.transports import EmailTransport, SmtpConfig, message_id
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.alerts.factories import event, sub
from tests.alerts.servers import smtp_sink


def _alerts(tmp_path: Path) -> object:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    return alerts_store(store)


def _parts(msg: EmailMessage) -> tuple[str, str]:
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def test_immediate_alert_names_department_competency_reason_link(tmp_path: Path) -> None:
    alerts = _alerts(tmp_path)
    alerts.add_subscription(sub("lead", departments=("D03",), digest=False))  # type: ignore[attr-defined]
    ev, other = event("D03"), event("D07")
    assert record_decisions(alerts, [ev, other], now_us=5) == sorted([ev.id, other.id])
    with smtp_sink() as (port, inbox):
        cfg = SmtpConfig("127.0.0.1", port, starttls=False, sender="lrs@example.org")
        sender = Sender(alerts, lambda: 10, {"email": EmailTransport(cfg)}, Policy())
        assert sender.run_once().sent == 1
        assert sender.run_once().sent == 0  # sent rows are not sent again
    assert len(inbox) == 1
    msg = inbox[0]
    assert msg["To"] == "lead@example.org" and msg["From"] == "lrs@example.org"
    assert msg["Subject"] == "[Readiness] New PRIORITY flag: Ward D03: Sepsis recognition"
    assert msg["Message-ID"] == message_id(f"alert|lead|{ev.id}")
    for body in _parts(msg):
        for needle in ("Ward D03", "Sepsis recognition", ev.reason, ev.link):
            assert needle in body.replace("&amp;", "&")
    assert "D07" not in _parts(msg)[0]


def test_weekly_digest_lists_what_changed_and_why(tmp_path: Path) -> None:
    alerts = _alerts(tmp_path)
    alerts.add_subscription(sub("weekly", immediate=False))  # type: ignore[attr-defined]
    a, b = (
        event("D03"),
        event("D07", kind="flag_low", severity="medium", reason="Below the funnel."),
    )
    record_decisions(alerts, [a, b], now_us=1_000_000)
    with smtp_sink() as (port, inbox):
        cfg = SmtpConfig("127.0.0.1", port, starttls=False)
        sender = Sender(alerts, lambda: 2_000_000, {"email": EmailTransport(cfg)}, Policy())
        assert sender.run_once().sent == 0  # digest-only: held, nothing immediate
        assert queue_digests(alerts, 2_000_000, date(2026, 6, 1)) == 1
        assert queue_digests(alerts, 2_000_000, date(2026, 6, 1)) == 0  # queued once
        assert sender.run_once().sent == 1
    assert len(inbox) == 1
    plain, html = _parts(inbox[0])
    assert inbox[0]["Subject"] == "[Readiness] Weekly digest: 2 changes"
    for needle in (
        "Ward D03",
        "Ward D07",
        "Sepsis recognition",
        a.reason,
        "Below the funnel.",
        a.link,
    ):
        assert needle in plain and needle in html.replace("&amp;", "&")
    assert "New LOW flag" in plain and "New PRIORITY flag" in html


def test_unreachable_smtp_backs_off_then_dead_letters(tmp_path: Path) -> None:
    from tests.alerts.servers import free_port

    alerts = _alerts(tmp_path)
    alerts.add_subscription(sub("lead"))  # type: ignore[attr-defined]
    record_decisions(alerts, [event()], now_us=0)
    now = [0]
    cfg = SmtpConfig("127.0.0.1", free_port(), starttls=False, timeout_s=2)
    sender = Sender(alerts, lambda: now[0], {"email": EmailTransport(cfg)}, Policy(2, 1.0, 10.0))
    assert sender.run_once().failed == 1
    assert sender.run_once().failed == 0  # backing off: not due yet
    now[0] = 1_000_000
    assert sender.run_once().dead == 1
    dead = alerts.list_items(state="dead")  # type: ignore[attr-defined]
    assert len(dead) == 1 and dead[0].attempts == 2 and "SMTP 127.0.0.1" in dead[0].last_error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_uses_the_configured_credentials(tmp_path: Path) -> None:
    alerts = _alerts(tmp_path)
    alerts.add_subscription(sub("lead"))  # type: ignore[attr-defined]
    record_decisions(alerts, [event()], now_us=0)
    with smtp_sink(login=("lrs", "pw")) as (port, inbox):
        wrong = SmtpConfig("127.0.0.1", port, starttls=False, user="lrs", password="nope")
        assert Sender(alerts, lambda: 0, {"email": EmailTransport(wrong)}).run_once().failed == 1
        assert inbox == []
        right = SmtpConfig("127.0.0.1", port, starttls=False, user="lrs", password="pw")
        assert Sender(alerts, lambda: 10**9, {"email": EmailTransport(right)}).run_once().sent == 1
    assert len(inbox) == 1
