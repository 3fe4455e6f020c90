"""Admin endpoints: read and verify the audit log, erase an agent (both need the admin scope).

Not part of the xAPI (no version header). ``POST /admin/erase`` is refused (403) unless
``LRS_ALLOW_ERASURE=true``; every erasure is itself audited, with its counts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from analytics.erasure import erase_agent
from analytics.resources import secret_for, warehouse_for
from lrs.audit import audit_event, chain_status, parse_since
from lrs.auth import require
from lrs.extensions import services
from lrs.statement_io import json_body
from statements.errors import BadRequest, FieldError, Forbidden

bp = Blueprint("admin", __name__)

MAX_ENTRIES = 10_000


def _limit() -> int:
    raw = request.args.get("limit", str(MAX_ENTRIES))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ENTRIES:
        raise BadRequest(
            "limit must be a whole number from 1 to 10000",
            [FieldError("limit", "range", f"got {raw!r}")],
        )
    return int(raw)


@bp.get("/admin/audit")
@require("admin")
def get_audit() -> Response:
    """Audit entries (``?since=`` date or date-time, ``?actor=`` key, ``?limit=``, ``?verify=``)."""
    since = request.args.get("since")
    actor = request.args.get("actor") or None
    verify = request.args.get("verify", "false").lower()
    if verify not in {"true", "false"}:
        raise BadRequest("verify must be true or false", [FieldError("verify", "boolean", "")])
    store = services().store
    entries = store.list_audit(
        since_us=parse_since(since) if since else None, actor=actor, limit=_limit()
    )
    body: dict[str, Any] = {"count": len(entries), "entries": [e.as_dict() for e in entries]}
    if verify == "true":
        body["verify"] = chain_status(store)
    return jsonify(body)


@bp.post("/admin/erase")
@require("admin")
def post_erase() -> Response:
    """Erase an agent: ``{"agent": {...}}`` → the counts removed (off unless allowed)."""
    svc = services()
    if not svc.settings.allow_erasure:
        raise Forbidden("erasure is disabled: set LRS_ALLOW_ERASURE=true to allow it")
    body = json_body() if request.is_json else None
    if not isinstance(body, dict) or set(body) != {"agent"}:
        raise BadRequest(
            "body must be {'agent': {...}}", [FieldError("$", "json", "expected {'agent': ...}")]
        )
    report = erase_agent(
        svc.store, warehouse_for(svc.settings), secret_for(svc.settings), body["agent"]
    )
    audit_event("erasure", report.as_dict())
    return jsonify(report.as_dict())
