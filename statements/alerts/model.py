"""Subscriptions, events and outbox rows of the alerts (pure, no I/O).

An *event* is something a leader may want to be told (a new PRIORITY flag, a failed scheduled
step, ...). Its id is deterministic (kind + cell + month), so a re-run raises nothing new. A
*subscription* says who is told about which events and how (email or webhook). The *outbox*
holds one row per (event, subscription) decided, written in the same transaction as the event;
the sender delivers pending rows and marks them sent (README "Getting told").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("low", "medium", "high")
CHANNELS = ("email", "webhook")
FORMATS = ("generic", "slack", "teams")
#: Event kinds; the ones in STAFF_KINDS carry staff-level evidence (analytics/staff scope).
KINDS = (
    "flag_priority",
    "flag_declining",
    "flag_low",
    "flag_escalated",
    "update_behind",
    "harm_high",
    "time_to_red",
    "certification_cliff",
    "step_failed",
    "step_overdue",
)
STAFF_KINDS = ("update_behind", "certification_cliff")
#: Outbox states: pending (to send), held (digest only), sent, dead (gave up).
STATES = ("pending", "held", "sent", "dead")


@dataclass(frozen=True)
class Subscription:
    """Who is told about which events, and through which channel."""

    id: str
    owner: str
    channel: str
    target: str
    secret: str | None = None
    format: str = "generic"
    sites: tuple[str, ...] = ()
    service_lines: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_severity: str = "low"
    immediate: bool = True
    digest: bool = True
    staff_level: bool = False
    created_us: int = 0

    def public(self) -> dict[str, Any]:
        """The subscription as shown by the CLI and the dashboards (never the secret)."""
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        out["secret"] = "***" if self.secret else None
        return out


@dataclass(frozen=True)
class Event:
    """Something that happened, with its evidence; raised once per id."""

    id: str
    kind: str
    severity: str
    month: str
    department_id: str | None
    competency_id: str | None
    title: str
    reason: str
    link: str
    site: str | None = None
    service_line: str | None = None
    department_name: str | None = None
    competency_name: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    raised_us: int = 0

    @property
    def staff_level(self) -> bool:
        """Whether the evidence names staff (only for subscribers with analytics/staff)."""
        return self.kind in STAFF_KINDS


@dataclass
class OutboxItem:
    """One delivery: an alert (one event) or a digest (several) to one subscription."""

    id: str
    subscription_id: str
    kind: str
    event_ids: list[str]
    state: str = "pending"
    attempts: int = 0
    next_attempt_us: int = 0
    last_error: str | None = None
    created_us: int = 0
    sent_us: int | None = None


def event_id(kind: str, department_id: str | None, competency_id: str | None, month: str) -> str:
    """The deterministic id of an event: kind, cell and month."""
    return ":".join((kind, department_id or "-", competency_id or "-", month))


def alert_id(event: str, subscription: str) -> str:
    """The outbox id of the immediate alert of ``event`` to ``subscription``."""
    return f"alert|{subscription}|{event}"


def digest_id(subscription: str, period_end: str) -> str:
    """The outbox id of the digest of ``subscription`` for the week ending ``period_end``."""
    return f"digest|{subscription}|{period_end}"


def _allowed(values: tuple[str, ...], value: str | None) -> bool:
    return not values or (value is not None and value in values)


def matches(sub: Subscription, event: Event) -> bool:
    """Whether ``event`` passes the subscription's filters (empty filter = any)."""
    if event.staff_level and not sub.staff_level:
        return False
    if SEVERITIES.index(event.severity) < SEVERITIES.index(sub.min_severity):
        return False
    return (
        _allowed(sub.kinds, event.kind)
        and _allowed(sub.sites, event.site)
        and _allowed(sub.service_lines, event.service_line)
        and _allowed(sub.departments, event.department_id)
        and _allowed(sub.competencies, event.competency_id)
    )


def decide(
    events: list[Event], subs: list[Subscription], now_us: int
) -> tuple[list[Event], list[OutboxItem]]:
    """The outbox rows for ``events``: one per matching subscription (held if digest-only)."""
    rows = []
    for event in events:
        for sub in subs:
            if matches(sub, event):
                state = "pending" if sub.immediate else "held"
                rows.append(
                    OutboxItem(
                        alert_id(event.id, sub.id),
                        sub.id,
                        "alert",
                        [event.id],
                        state,
                        created_us=now_us,
                    )
                )
    return events, rows
