"""``/healthz`` (the process answers) and ``/readyz`` (the store and the warehouse answer).

Neither needs credentials, so that a load balancer or an orchestrator can poll them. ``/readyz``
answers 503 with the JSON error shape, one item per failing dependency, when it is not ready.
When ready it also lists the last model run's ``model_warnings`` (code, severity, message; the
detail, which names competency ids, is left to the authenticated ``/analytics/incidents``):
a crosswalk that names no imported competency is an error there, though the service is up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify

from lrs.errors import error_response
from lrs.extensions import services
from statements.errors import FieldError, LRSError

bp = Blueprint("ops_health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: 200 whenever the worker can answer at all."""
    return jsonify({"status": "ok"})


def _check_store() -> None:
    """A cheap indexed read; raises a domain error when the store cannot answer."""
    services().store.get_credential("readyz-probe")


def _check_warehouse(path: Path) -> str:
    """``absent`` before the first refresh, ``ok`` when it opens read-only; raises otherwise."""
    if not path.exists():
        return "absent"
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        conn.execute("SELECT 1").fetchall()
    return "ok"


def _model_warnings(path: Path) -> list[dict[str, str]]:
    """The ``model_warnings`` rows of the last model run ([] before the first run)."""
    if not path.exists():
        return []
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'model_warnings'"
        ).fetchall()
        if not found[0][0]:
            return []
        rows = conn.execute(
            "SELECT code, severity, message FROM model_warnings ORDER BY severity, code"
        ).fetchall()
    return [{"code": c, "severity": s, "message": m} for c, s, m in rows]


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: 200 when the store answers and the warehouse (if built) opens."""
    checks: dict[str, str] = {}
    failures: list[FieldError] = []
    try:
        _check_store()
        checks["store"] = "ok"
    except LRSError as exc:
        failures.append(FieldError("store", "unavailable", exc.message))
    try:
        checks["warehouse"] = _check_warehouse(services().settings.resolved_warehouse_path)
    except Exception as exc:  # any driver error means "not reachable"
        failures.append(FieldError("warehouse", "unavailable", str(exc)))
    if failures:
        return error_response(503, "not ready", [f.as_dict() for f in failures])
    warnings = _model_warnings(services().settings.resolved_warehouse_path)
    if warnings:
        checks["models"] = "error" if any(w["severity"] == "error" for w in warnings) else "warning"
    scheduler = _scheduler()
    checks["scheduler"] = scheduler["status"]
    body = {"status": "ready", "checks": checks, "model_warnings": warnings}
    return jsonify({**body, "scheduler": scheduler})


def _scheduler() -> dict[str, Any]:
    """Last run and success per scheduled step, ``overdue``/``failed`` (never a 503: a late
    refresh leaves the LRS able to take statements; it is reported, not fatal)."""
    from datetime import UTC, datetime

    from analytics.notify.schedule import scheduler_status

    svc = services()
    now = datetime.fromtimestamp(svc.clock() / 1_000_000, UTC)
    try:
        return scheduler_status(svc.store, svc.settings, now)
    except LRSError as exc:
        return {"status": "unknown", "error": exc.message, "steps": {}}
