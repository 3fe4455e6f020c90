"""Recording audited actions from the web edge (who = the authenticated credential)."""

from __future__ import annotations

from typing import Any

from flask import g

from lrs.extensions import services
from statements.audit import AuditEntry


def audit_event(
    action: str, detail: dict[str, Any] | None = None, actor: str | None = None
) -> AuditEntry:
    """Append an audit entry for the current request's credential (or ``actor``)."""
    principal = g.get("principal")
    who = actor or (principal.credential.key if principal is not None else "anonymous")
    svc = services()
    entry: AuditEntry = svc.store.append_audit(svc.clock(), who, action, dict(detail or {}))
    return entry
