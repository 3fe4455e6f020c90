"""Recording audited actions from the web edge (who = the authenticated credential).

Also the helpers ``lrs audit`` and ``GET /admin/audit`` share: reading a ``since`` value and
verifying the whole hash chain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import g

from lrs.extensions import services
from statements.audit import AuditEntry, verify_chain
from statements.errors import BadRequest, FieldError
from statements.timefmt import parse_param, to_us

VERIFY_LIMIT = 100_000_000


def audit_event(
    action: str, detail: dict[str, Any] | None = None, actor: str | None = None
) -> AuditEntry:
    """Append an audit entry for the current request's credential (or ``actor``)."""
    principal = g.get("principal")
    who = actor or (
        principal.credential.key if principal is not None else g.get("person_actor", "anonymous")
    )
    svc = services()
    entry: AuditEntry = svc.store.append_audit(svc.clock(), who, action, dict(detail or {}))
    return entry


def parse_since(raw: str) -> int:
    """``since`` as epoch µs: an ISO 8601 date (00:00 UTC) or date-time (UTC when no offset)."""
    text = raw.strip()
    if len(text) == 10:
        try:
            return to_us(datetime.combine(date.fromisoformat(text), time(), UTC))
        except ValueError as exc:
            raise BadRequest(
                "since is not an ISO 8601 date", [FieldError("since", "timestamp", repr(raw))]
            ) from exc
    return parse_param(text, "since")


def chain_status(store: Any) -> dict[str, Any]:
    """Verify the whole chain: ``intact``, ``first_broken`` seq, ``entries`` and ``head`` hash.

    The chain shows an altered, removed or reordered entry; removing the *newest* entries is
    only visible against a ``head`` recorded elsewhere earlier (see SECURITY.md).
    """
    entries = store.list_audit(limit=VERIFY_LIMIT)
    broken = verify_chain(entries)
    return {
        "intact": broken is None,
        "first_broken": broken,
        "entries": len(entries),
        "head": entries[-1].hash if entries else None,
    }


def import_detail(report: Any) -> dict[str, Any]:
    """An import's audit detail: counts only (row errors may quote the refused values)."""
    full = report.as_dict()
    return {name: full[name] for name in ("kind", "read", "loaded", "rejected", "strict")}
