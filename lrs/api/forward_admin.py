"""Admin API and page for forwarding destinations (scope ``admin``; no xAPI version header).

``GET /admin/forward`` lists destinations with their status; ``POST`` adds one (JSON body as
:func:`lrs.interop.destinations.new_destination`, plus ``from_start``); ``DELETE
/admin/forward/<name>`` removes one; ``POST /admin/forward/<name>/retry`` queues its dead
letters; ``GET /admin/forward/page`` is the same status as an HTML table.
"""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Blueprint, Response, jsonify, request

from lrs.audit import audit_event
from lrs.auth import require
from lrs.extensions import services
from lrs.interop.destinations import describe, new_destination
from lrs.interop.forward import Forwarder
from statements.errors import BadRequest, FieldError, NotFound
from statements.interop.store import interop_store

bp = Blueprint("forward_admin", __name__)


def _forwarder() -> Forwarder:
    svc = services()
    return Forwarder(svc.store, interop_store(svc.store), svc.clock)


def _rows() -> list[dict[str, Any]]:
    forwarder = _forwarder()
    return [describe(forwarder.status(d)) for d in forwarder.fwd.list_destinations()]


@bp.get("/admin/forward")
@require("admin")
def list_destinations() -> Response:
    """Every destination with outbox depth, lag, failures and dead letters."""
    return jsonify({"destinations": _rows()})


@bp.post("/admin/forward")
@require("admin")
def add_destination() -> Response:
    """Add a destination; it receives statements stored from now on (or all: from_start)."""
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict):
        raise BadRequest("body must be a JSON object", [FieldError("$", "json", "object")])
    from_start = spec.pop("from_start", False)
    if not isinstance(from_start, bool):
        raise BadRequest("from_start: a boolean", [FieldError("from_start", "type", "boolean")])
    forwarder = _forwarder()
    dest = new_destination(
        spec, watermark=0 if from_start else forwarder.fwd.max_seq(), now_us=services().clock()
    )
    forwarder.fwd.add_destination(dest)
    audit_event("forward.add", {"name": dest.name, "url": dest.url})
    return jsonify(describe(forwarder.status(dest)))


@bp.delete("/admin/forward/<name>")
@require("admin")
def remove_destination(name: str) -> Response:
    """Remove a destination and its dead letters."""
    if not interop_store(services().store).remove_destination(name):
        raise NotFound(f"no destination {name}")
    audit_event("forward.remove", {"name": name})
    return Response(status=204)


@bp.post("/admin/forward/<name>/retry")
@require("admin")
def retry_destination(name: str) -> Response:
    """Queue the destination's dead letters again and make it due now."""
    fwd = interop_store(services().store)
    dest = fwd.get_destination(name)
    if dest is None:
        raise NotFound(f"no destination {name}")
    queued = fwd.queue_retries(name)
    dest.next_attempt_us, dest.attempts = 0, 0
    fwd.save_destination(dest)
    audit_event("forward.retry", {"name": name, "queued": queued})
    return jsonify({"name": name, "queued": queued})


COLUMNS = (
    "name",
    "url",
    "outbox_depth",
    "lag_seconds",
    "delivered",
    "failures",
    "attempts",
    "dead_letters",
    "queued_retries",
    "last_error",
)


@bp.get("/admin/forward/page")
@require("admin")
def page() -> Response:
    """The status as a small HTML page for operators."""
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r.get(c, '')))}</td>" for c in COLUMNS) + "</tr>"
        for r in _rows()
    )
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Forwarding</title>"
        "</head><body><h1>Statement forwarding</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"
    )
    return Response(html, content_type="text/html; charset=utf-8")
