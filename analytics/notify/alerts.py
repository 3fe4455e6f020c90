"""The alerts step: detect events, decide who is told (outbox), queue digests, deliver.

The scheduler (``lrs worker``) calls :func:`run_alerts_step` after a models run; ``lrs alerts
run`` does the same by hand. One pass:

1. **detect** — events as of the run's month (:mod:`analytics.notify.events`) and failed or
   overdue scheduled steps;
2. **decide** — for each *new* event, one outbox row per matching subscription, written in the
   same store transaction as the event (an event id already kept is not raised again);
3. **digest** — on the digest weekday, one digest row per digest subscription with the events
   it matched in the past 7 days (id = subscription + day, so it is queued once);
4. **deliver** — every due outbox row (:class:`analytics.notify.sender.Sender`).

A crash anywhere loses nothing: what was decided is in the outbox and is sent by the next pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from analytics.notify.events import Detector, Rules
from analytics.notify.schedule import step_health
from analytics.notify.sender import Counts, Policy, Sender
from analytics.notify.staff import attach_retraining
from analytics.notify.transports import EmailTransport, SmtpConfig, Transport, WebhookTransport
from analytics.warehouse import Warehouse
from config.settings import Settings
from statements.alerts.model import Event, OutboxItem, decide, digest_id
from statements.alerts.store import alerts_store

WEEK_US = 7 * 86_400_000_000


def rules_for(settings: Settings) -> Rules:
    """The event thresholds the settings describe."""
    return Rules(
        time_to_red_days=settings.alerts_time_to_red_days,
        cliff_share=settings.alerts_cliff_share,
        base_url=settings.alerts_base_url,
    )


def policy_for(settings: Settings) -> Policy:
    """The retry policy the settings describe."""
    return Policy(
        settings.alerts_max_attempts, settings.alerts_backoff_s, settings.alerts_backoff_cap_s
    )


def transports_for(settings: Settings, clock_s: Callable[[], int]) -> dict[str, Transport]:
    """Email (SMTP settings) and webhook transports."""
    smtp = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        timeout_s=settings.alerts_timeout_s,
    )
    return {
        "email": EmailTransport(smtp),
        "webhook": WebhookTransport(clock_s, settings.alerts_timeout_s),
    }


def detect(warehouse: Warehouse, as_of: date, rules: Rules, now_us: int) -> list[Event]:
    """Events of the published model outputs, for the month of ``as_of``."""
    if not warehouse.exists():
        return []
    with warehouse.read() as conn:
        return Detector(conn, as_of.replace(day=1), as_of, rules, now_us).all()


def step_events(store: Any, settings: Settings, now: datetime) -> list[Event]:
    """``step_failed`` / ``step_overdue`` events from the scheduler's run records."""
    if not hasattr(store, "list_runs"):
        return []
    health = step_health(store.list_runs(limit=200), settings, now)
    out = []
    now_us = int(now.timestamp() * 1_000_000)
    link = f"{settings.alerts_base_url.rstrip('/')}/readyz"
    for step, h in sorted(health.items()):
        if h["failed"]:
            reason = f"The scheduled {step} step failed (last run {h['last_run_at']})."
            out.append(_step_event("step_failed", step, str(h["last_run_at"]), reason, h))
        if h["overdue"]:
            since = h["last_ok_at"] or "it was first tried"
            reason = f"The scheduled {step} step has not succeeded since {since}."
            out.append(_step_event("step_overdue", step, now.date().isoformat(), reason, h))
    return [replace(e, raised_us=now_us, link=link, month=now.strftime("%Y-%m")) for e in out]


def _step_event(kind: str, step: str, when: str, reason: str, health: dict[str, Any]) -> Event:
    return Event(
        id=f"{kind}:-:{step}:{when}",
        kind=kind,
        severity="high",
        month="",
        department_id=None,
        competency_id=None,
        title=f"Scheduled step {step}",
        reason=reason,
        link="",
        evidence={"step": step, "health": health},
    )


def record_decisions(alerts: Any, events: list[Event], now_us: int) -> list[str]:
    """Keep new events with their outbox rows (one transaction); the new event ids."""
    _, rows = decide(events, alerts.list_subscriptions(), now_us)
    new: list[str] = alerts.record(events, rows)
    return new


def queue_digests(alerts: Any, now_us: int, day: date) -> int:
    """One digest row per digest subscription that matched events in the past 7 days."""
    rows = []
    for sub in alerts.list_subscriptions():
        if not sub.digest:
            continue
        matched = alerts.list_items(subscription_id=sub.id, since_us=now_us - WEEK_US)
        ids = list(dict.fromkeys(e for i in matched if i.kind == "alert" for e in i.event_ids))
        if ids:
            rows.append(
                OutboxItem(
                    digest_id(sub.id, day.isoformat()), sub.id, "digest", ids, created_us=now_us
                )
            )
    added: int = alerts.add_items(rows) if rows else 0
    return added


def run_pass(
    store: Any,
    warehouse: Warehouse,
    settings: Settings,
    now: datetime,
    *,
    transports: dict[str, Transport] | None = None,
    after_decide: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Detect, decide, digest and deliver once as of ``now`` (tz-aware); the counts."""
    now_us = int(now.timestamp() * 1_000_000)
    alerts = alerts_store(store)
    events = detect(warehouse, now.date(), rules_for(settings), now_us)
    events += step_events(store, settings, now)
    if warehouse.exists():
        subs = alerts.list_subscriptions()
        events = attach_retraining(warehouse, events, subs, settings.retraining_due_days)
    new = record_decisions(alerts, events, now_us)
    if after_decide is not None:
        after_decide()
    digests = 0
    if now.weekday() == settings.alerts_digest_weekday:
        digests = queue_digests(alerts, now_us, now.date())
    clock_s = lambda: int(now.timestamp())  # noqa: E731
    sender = Sender(
        alerts,
        lambda: now_us,
        transports or transports_for(settings, clock_s),
        policy_for(settings),
    )
    counts: Counts = sender.run_once()
    return {"events": len(events), "new_events": len(new), "digests": digests, **counts.as_dict()}


def run_alerts_step(settings: Settings, now: datetime) -> dict[str, int]:
    """The scheduler's hook (see /work/coord i18 interface): one pass on the configured store."""
    from analytics.resources import warehouse_for
    from statements.store import open_store

    store = open_store(settings.resolved_store_url)
    store.init()
    try:
        return run_pass(store, warehouse_for(settings), settings, now.astimezone(UTC))
    finally:
        store.close()
