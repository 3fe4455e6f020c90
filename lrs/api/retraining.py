"""``GET /analytics/retraining``: who needs retraining, as JSON or LMS bulk-assignment CSV.

Person-level, so it needs ``analytics/staff`` (or ``admin``), shows names from the identity map
(person id and email, as the other staff-level views do) and writes an audit entry per read.
Filters: ``department_id``, ``competency_id``, ``reason`` (repeatable or comma-separated),
``due_within_days``, ``as_of`` (must be the last model run's date), ``change_date`` (with
``competency_id``: the staff a protocol change invalidated), ``format=json|csv``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from analytics.resources import warehouse_for
from lrs.audit import audit_event
from lrs.auth import require
from lrs.extensions import services
from statements.errors import BadRequest, FieldError

bp = Blueprint("retraining", __name__)
MAX_DAYS = 3650


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError as exc:
        raise BadRequest(
            f"{name} must be a date YYYY-MM-DD", [FieldError(name, "date", f"got {raw!r}")]
        ) from exc


def _days() -> int:
    raw = request.args.get("due_within_days", "").strip()
    if not raw:
        return services().settings.retraining_due_days
    if not raw.isdigit() or int(raw) > MAX_DAYS:
        raise BadRequest(
            "due_within_days must be a whole number of days from 0 to 3650",
            [FieldError("due_within_days", "range", f"got {raw!r}")],
        )
    return int(raw)


def _reasons() -> list[str]:
    return [r.strip() for v in request.args.getlist("reason") for r in v.split(",") if r.strip()]


def _format() -> str:
    fmt = request.args.get("format", "json").strip().lower()
    if fmt not in ("json", "csv"):
        raise BadRequest("format must be json or csv", [FieldError("format", "enum", fmt)])
    return fmt


def _rows(department: str | None, competency: str | None) -> list[dict[str, Any]]:
    # Imported here, on first use: the retraining lists need Polars, the xAPI does not.
    from analytics.notify.retraining import protocol_change_list, retraining_list

    warehouse = warehouse_for(services().settings)
    change, as_of = _date("change_date"), _date("as_of")
    if change is not None:
        if not competency:
            raise BadRequest(
                "change_date needs competency_id",
                [FieldError("competency_id", "required", "the changed competency")],
            )
        return protocol_change_list(
            warehouse, competency, change, as_of, department_id=department, identity=True
        )
    return retraining_list(
        warehouse, department, competency, as_of, _reasons(), due_within_days=_days(), identity=True
    )


@bp.get("/analytics/retraining")
@require("analytics/staff", "admin")
def get_retraining() -> Response:
    """The retraining list for a department x competency, a flag's cell or a protocol change."""
    fmt = _format()
    department = request.args.get("department_id", "").strip() or None
    competency = request.args.get("competency_id", "").strip() or None
    rows = _rows(department, competency)
    audit_event(
        "analytics.staff_read",
        {
            "endpoint": "retraining",
            "department_id": department,
            "competency_id": competency,
            "change_date": request.args.get("change_date"),
            "rows": len(rows),
        },
    )
    if fmt == "csv":
        from analytics.notify.retraining import to_csv

        return Response(
            to_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="retraining.csv"'},
        )
    return jsonify({"count": len(rows), "rows": rows})
