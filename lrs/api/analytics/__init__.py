"""Admin endpoints of the analytics warehouse: refresh, imports, sandboxed SQL, unmatched actors.

Not part of the xAPI (no version header). The web worker writes the warehouse only through the
explicit ``POST /analytics/refresh`` and imports, which run synchronously under the warehouse's
cross-process write lock (a second concurrent writer gets 409 instead of waiting).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request

from analytics.resources import secret_for, warehouse_for
from lrs.api.people_scope import person_access
from lrs.audit import audit_event, import_detail
from lrs.auth import authenticate, require
from lrs.extensions import services
from lrs.ops.metrics import metrics_of
from lrs.statement_io import json_body
from statements.errors import BadRequest, FieldError, Forbidden

bp = Blueprint("analytics", __name__)
# The warehouse code (DuckDB, Polars, PyArrow) is imported by each route on its first request,
# not with the app: a worker that only serves xAPI never loads it.

MEDIA = {"json": "application/json", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
BODY_FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").strip().lower()
    if raw not in {"true", "false", "1", "0"}:
        raise BadRequest(
            f"{name} must be true or false", [FieldError(name, "boolean", f"got {raw!r}")]
        )
    return raw in {"true", "1"}


def _as_of() -> date | None:
    raw = request.args.get("as_of")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(
            "as_of must be an ISO 8601 date", [FieldError("as_of", "date", f"got {raw!r}")]
        ) from exc


@bp.post("/analytics/refresh")
@require("admin")
def post_refresh() -> Response:
    """Run a refresh now (``?full=true``, ``?as_of=YYYY-MM-DD``); 409 when one is running."""
    from analytics.etl import refresh

    svc = services()
    with metrics_of().time_refresh():
        result = refresh(
            svc.store,
            warehouse_for(svc.settings),
            secret_for(svc.settings),
            full=_flag("full"),
            as_of=_as_of(),
            batch_size=svc.settings.etl_batch_size,
            wait=False,
        )
    audit_event("analytics.refresh", result.as_dict())
    return jsonify(result.as_dict())


@bp.post("/analytics/imports/<kind>")
@require("admin")
def post_import(kind: str) -> Response:
    """Import a CSV (``text/csv``) or JSON Lines (``application/x-ndjson``) body."""
    from analytics.imports.load import import_file

    ctype = (request.mimetype or "").lower()
    fmt = BODY_FORMATS.get(ctype)
    if fmt is None:
        raise BadRequest(
            "Content-Type must be text/csv or application/x-ndjson",
            [FieldError("Content-Type", "media-type", f"got {ctype or 'none'!r}")],
        )
    svc = services()
    report = import_file(
        warehouse_for(svc.settings),
        kind,
        request.get_data(),
        fmt,
        secret_for(svc.settings),
        strict=_flag("strict"),
    )
    audit_event("analytics.import", import_detail(report))
    resp = jsonify(report.as_dict())
    resp.status_code = 200 if report.ok or report.loaded else 400
    return resp


def _may_identity() -> bool:
    """Identity columns: ``analytics/staff`` for a credential, a staff role for a person."""
    access = person_access()
    if access is not None:
        return access.can_staff
    return authenticate().has_any("analytics/staff")


def _sql_body() -> dict[str, Any]:
    from analytics.sandbox import FORMATS

    body = json_body() if request.is_json else None
    if not isinstance(body, dict):
        raise BadRequest(
            "body must be a JSON object", [FieldError("$", "json", "expected {'sql': ...}")]
        )
    unknown = set(body) - {"sql", "format", "identity"}
    if unknown:
        raise BadRequest(
            "unknown fields", [FieldError(f"$.{k}", "unknown", "not allowed") for k in unknown]
        )
    if not isinstance(body.get("sql"), str):
        raise BadRequest("sql is required", [FieldError("$.sql", "required", "a string")])
    fmt = body.get("format", "json")
    if fmt not in FORMATS:
        raise BadRequest(
            "unknown format", [FieldError("$.format", "enum", f"one of {', '.join(FORMATS)}")]
        )
    if not isinstance(body.get("identity", False), bool):
        raise BadRequest("identity must be a boolean", [FieldError("$.identity", "boolean", "")])
    return body


@bp.post("/analytics/sql")
@require("admin", people_admin=True)
def post_sql() -> Response:
    """Run one read-only SELECT: ``{"sql", "format": json|csv|parquet, "identity": false}``."""
    from analytics.sandbox import run_sql

    body = _sql_body()
    settings = services().settings
    if body.get("identity") and not _may_identity():
        raise Forbidden("identity=true requires the analytics/staff scope")
    audit_event("analytics.sql", {"sql": body["sql"], "identity": bool(body.get("identity"))})
    result = run_sql(
        warehouse_for(settings),
        body["sql"],
        row_cap=settings.sql_row_cap,
        timeout_s=settings.sql_timeout_s,
        identity=bool(body.get("identity", False)),
    )
    fmt = body.get("format", "json")
    resp = Response(result.render(fmt), mimetype=MEDIA[fmt])
    resp.headers["X-Result-Truncated"] = "true" if result.truncated else "false"
    return resp


@bp.get("/analytics/unmatched")
@require("admin", people_admin=True)
def get_unmatched() -> Response:
    """Actors of statements that match no staff identity."""
    from analytics.etl import unmatched

    rows = unmatched(warehouse_for(services().settings))
    audit_event("analytics.unmatched", {"actors": len(rows)})
    for row in rows:
        for key in ("first_seen", "last_seen"):
            row[key] = row[key].isoformat() if row[key] is not None else None
    return jsonify({"count": len(rows), "actors": rows})
