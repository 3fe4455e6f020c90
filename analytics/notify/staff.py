"""Retraining lists attached to alerts, for staff-level subscribers only.

When a new event about a department x competency matches at least one ``staff_level``
subscription (which only ``analytics/staff`` holders can create), the retraining list of that
cell (:func:`analytics.notify.retraining.retraining_list`, pseudonymous ``person_key`` rows with
their reason and evidence ids, from the last models run) is kept in the event's evidence under
``retraining``. Renderers show it — and attach it as LMS CSV to email — only to staff-level
subscriptions (:func:`for_subscriber` strips it for everyone else), so aggregate-only
subscribers never see staff rows.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import duckdb

from analytics.notify.retraining import retraining_list
from analytics.warehouse import Warehouse
from statements.alerts.model import Event, Subscription, matches
from statements.errors import LRSError

log = logging.getLogger(__name__)

#: event kinds whose follow-up is "who needs retraining"
RETRAINING_KINDS = (
    "flag_priority",
    "flag_declining",
    "flag_low",
    "flag_escalated",
    "update_behind",
    "certification_cliff",
)
MAX_ROWS = 500


def attach_retraining(
    warehouse: Warehouse, events: list[Event], subs: list[Subscription], due_days: int = 30
) -> list[Event]:
    """``events`` with the cell's retraining list in the evidence where a staff sub matches."""
    staff_subs = [s for s in subs if s.staff_level]
    out = []
    for ev in events:
        wanted = (
            ev.kind in RETRAINING_KINDS
            and ev.department_id
            and ev.competency_id
            and any(matches(s, ev) for s in staff_subs)
        )
        if not wanted:
            out.append(ev)
            continue
        try:
            rows = retraining_list(
                warehouse, ev.department_id, ev.competency_id, None, due_within_days=due_days
            )
        except (LRSError, duckdb.Error) as exc:  # no models run / older tables: alert anyway
            log.warning("no retraining list for %s: %s", ev.id, exc)
            rows = []
        out.append(replace(ev, evidence={**ev.evidence, "retraining": rows[:MAX_ROWS]}))
    return out


def for_subscriber(sub: Subscription, events: list[Event]) -> list[Event]:
    """The events as ``sub`` may see them: staff rows removed unless it is staff-level."""
    if sub.staff_level:
        return events
    return [
        replace(ev, evidence={k: v for k, v in ev.evidence.items() if k != "retraining"})
        if "retraining" in ev.evidence
        else ev
        for ev in events
    ]


def retraining_rows(events: list[Event]) -> list[dict[str, Any]]:
    """Every attached retraining row of ``events`` (for the CSV attachment)."""
    rows: list[dict[str, Any]] = []
    for ev in events:
        rows.extend(ev.evidence.get("retraining") or [])
    return rows
