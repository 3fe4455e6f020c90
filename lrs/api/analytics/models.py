"""Read endpoints of the model outputs, and the admin recompute (issue 6).

Reads need ``analytics/read``, ``analytics/staff`` or ``admin``; identity columns (person_id,
mbox) and person-level rows need ``analytics/staff`` and are audited. ``GET /analytics/cleared``
for a ``date`` without a model run answers 409 asking for ``POST /analytics/models?as_of=``
(a read request never triggers a minutes-long writer run). Incident counts from 1 to 10 are
nulled with the rates derived from them (small-cell suppression).

A signed-in person may read these too (``GET`` with the dashboard session): every query keeps
only their units' rows (:mod:`lrs.api.people_scope`), staff rows follow their roles, and a
``department_id`` of another unit is 403.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from analytics.resources import warehouse_for
from lrs.api.people_scope import dept_condition, person_access, scoped
from lrs.audit import audit_event
from lrs.auth import authenticate, require
from lrs.extensions import services
from statements.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound

if TYPE_CHECKING:
    import polars as pl

    from analytics.warehouse import Connection

# The model code (DuckDB, Polars, NumPy, SciPy, statsmodels) is imported on first use of these
# routes, not with the app: a worker that only serves xAPI never loads it.

bp = Blueprint("analytics_models", __name__)

READ = ("analytics/read", "analytics/staff", "admin")
RERUN = "run POST /analytics/models?as_of=YYYY-MM-DD first"


def _date_arg(name: str, fmt: str = "%Y-%m-%d") -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.strptime(raw, fmt).date()
    except ValueError as exc:
        rule = "YYYY-MM" if fmt == "%Y-%m" else "YYYY-MM-DD"
        raise BadRequest(
            f"{name} must be a date {rule}", [FieldError(name, "date", f"got {raw!r}")]
        ) from exc


def _need(conn: Connection, *tables: str) -> None:
    have = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    missing = [t for t in tables if t not in have]
    if missing:
        raise Conflict(f"model table(s) {', '.join(missing)} missing: {RERUN}")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dicts()]


def _query(sql: str, params: list[object], *tables: str, identity: bool = False) -> pl.DataFrame:
    from analytics.monthly import frame

    with warehouse_for(services().settings).read(identity=identity) as conn:
        _need(conn, *tables)
        return frame(conn, sql, params)


def _staff() -> bool:
    access = person_access()
    if access is not None:
        return access.can_staff
    return authenticate().has_any("analytics/staff")


def _clearance() -> bool:
    access = person_access()
    if access is not None:
        return access.can_clearance
    return authenticate().has_any("analytics/staff")


def _department_arg() -> str:
    """``department_id`` of the query string; 403 when it names a unit outside the person's."""
    dept = request.args.get("department_id", "")
    if dept and scoped():
        cond, params = dept_condition("department_id")
        found = _query(
            f"SELECT count(*) AS n FROM departments WHERE department_id = ? AND {cond}",
            [dept, *params],
            "departments",
        )
        if not found["n"][0]:
            raise Forbidden("department_id names a unit outside the ones you may see")
    return dept


def _identities(keys: list[str]) -> pl.DataFrame:
    import polars as pl

    from analytics.monthly import frame

    sql = (
        "SELECT person_key, min(person_id) AS person_id, string_agg(DISTINCT mbox, ', ') AS mbox "
        "FROM identity.identity_map WHERE list_contains(?, person_key) GROUP BY person_key"
    )
    with warehouse_for(services().settings).read(identity=True) as conn:
        has = conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'identity'"
        ).fetchall()
        if not has[0][0]:
            return pl.DataFrame(
                schema={"person_key": pl.Utf8, "person_id": pl.Utf8, "mbox": pl.Utf8}
            )
        return frame(conn, sql, [keys])


def _cleared_day(task: str, day: date | None) -> date:
    if day is None:
        found = _query("SELECT max(as_of) AS d FROM cleared", [], "cleared")["d"][0]
        if found is None:
            raise Conflict(f"no clearance computed yet: {RERUN}")
        return found  # type: ignore[no-any-return]
    ran = _query("SELECT count(*) AS n FROM model_runs WHERE as_of = ?", [day], "model_runs")
    if not ran["n"][0]:
        raise Conflict(f"no model run as of {day}: {RERUN.replace('YYYY-MM-DD', str(day))}")
    return day


@bp.get("/analytics/cleared")
@require(*READ, people=True)
def get_cleared() -> Response:
    """Who is cleared for ``task`` on ``date`` (default: latest run), per competency."""
    task = request.args.get("task", "").strip()
    if not task:
        raise BadRequest("task is required", [FieldError("task", "required", "a task id")])
    day = _cleared_day(task, _date_arg("date"))
    units, unit_params = dept_condition("ps.department_id")
    people = _query(
        "SELECT x.person_key, x.cleared, x.evidence_ids, "
        "list(struct_pack(competency_id := p.competency_id, status := p.status, "
        "evidence_ids := p.evidence_ids) ORDER BY p.competency_id) "
        "FILTER (WHERE p.competency_id IS NOT NULL) AS competencies "
        "FROM cleared x JOIN regulated_tasks t USING (task_id) "
        "LEFT JOIN person_competency_status p ON p.person_key = x.person_key "
        "AND p.as_of = x.as_of AND list_contains(t.competency_ids, p.competency_id) "
        "WHERE x.task_id = ? AND x.as_of = ? AND x.person_key IN (SELECT ps.person_key FROM "
        f"person_competency_status ps WHERE ps.as_of = x.as_of AND {units}) "
        "GROUP BY ALL ORDER BY x.person_key",
        [task, day, *unit_params],
        "cleared",
        "regulated_tasks",
        "person_competency_status",
    )
    if people.is_empty():
        raise NotFound(f"no clearance rows for task {task!r} on {day}")
    if _clearance():
        people = people.join(_identities(people["person_key"].to_list()), "person_key", "left")
        audit_event(
            "analytics.staff_read", {"endpoint": "cleared", "task": task, "rows": people.height}
        )
    return jsonify({"task_id": task, "date": day.isoformat(), "people": _rows(people)})


@bp.get("/analytics/flags")
@require(*READ, people=True)
def get_flags() -> Response:
    """Flags of ``month`` (YYYY-MM, default latest), optionally of one ``department_id``."""
    month = _date_arg("month", "%Y-%m")
    dept = _department_arg()
    units, unit_params = dept_condition()
    rows = _query(
        "SELECT * FROM flags WHERE month = coalesce(?::DATE, (SELECT max(month) FROM flags)) "
        f"AND (? = '' OR department_id = ?) AND {units} ORDER BY department_id, competency_id",
        [month, dept, dept, *unit_params],
        "flags",
    )
    return jsonify(
        {"month": _plain(rows["month"][0]) if rows.height else None, "flags": _rows(rows)}
    )


@bp.get("/analytics/compliance")
@require(*READ, people=True)
def get_compliance() -> Response:
    """Department x competency compliance of the latest month (+ staff rows with the scope)."""
    dept = _department_arg()
    units, unit_params = dept_condition()
    where = f"(? = '' OR department_id = ?) AND {units}"
    cells = _query(
        "SELECT department_id, competency_id, month, n_required, n_compliant, compliance_rate, "
        "compliance_shrunk, compliance_lo, compliance_hi, readiness, readiness_lo, readiness_hi, "
        "readiness_state FROM dept_competency_month "
        f"WHERE month = (SELECT max(month) FROM dept_competency_month) AND {where} "
        "ORDER BY department_id, competency_id",
        [dept, dept, *unit_params],
        "dept_competency_month",
    )
    body: dict[str, Any] = {"departments": _rows(cells)}
    if _staff():
        staff = _query(
            "SELECT * FROM person_competency_status WHERE as_of = "
            f"(SELECT max(as_of) FROM person_competency_status) AND {where} "
            "ORDER BY department_id, person_key, competency_id",
            [dept, dept, *unit_params],
            "person_competency_status",
        )
        body["staff"] = _rows(staff)
        audit_event("analytics.staff_read", {"endpoint": "compliance", "rows": staff.height})
    return jsonify(body)


def _table(name: str) -> list[dict[str, Any]]:
    """Every row of a per-department model table (only the person's units for a person)."""
    units, params = dept_condition()
    return _rows(_query(f"SELECT * FROM {name} WHERE {units}", params, name))


@bp.get("/analytics/readiness")
@require(*READ, people=True)
def get_readiness() -> Response:
    """Department x competency readiness as of the latest run."""
    return jsonify({"readiness": _table("department_readiness")})


@bp.get("/analytics/forecast")
@require(*READ, people=True)
def get_forecast() -> Response:
    """Projected compliance/readiness at 0/30/60/90 days and time to red."""
    return jsonify({"forecast": _table("forecast")})


@bp.get("/analytics/incidents")
@require(*READ, people=True)
def get_incidents() -> Response:
    """Incident rates per department-month and the linkage (counts under 11 nulled)."""
    from analytics.suppression import suppress

    units, unit_params = dept_condition()
    rates = _query(
        f"SELECT * FROM incident_rates WHERE {units} ORDER BY department_id, month",
        unit_params,
        "incident_rates",
    )
    # Each figure on its own count: a small harm count hides the harm figures only.
    rates = suppress(
        rates,
        ["harm_events"],
        ["harm_rate_per_1000", "harm_rate_shrunk", "harm_high", "harm_expected"],
    )
    rates = suppress(rates, ["near_misses"], ["near_miss_rate_per_1000"])
    link = suppress(_query("SELECT * FROM linkage", [], "linkage"), ["n_events"])
    try:
        warnings = _rows(_query("SELECT * FROM model_warnings", [], "model_warnings"))
    except Conflict:  # a warehouse modelled before the table existed
        warnings = []
    return jsonify(
        {"incident_rates": _rows(rates), "linkage": _rows(link), "model_warnings": warnings}
    )


@bp.post("/analytics/models")
@require("admin")
def post_models() -> Response:
    """Recompute every model as of ``as_of`` (default today) and publish it; audited."""
    import duckdb

    from analytics.model_settings import from_settings
    from analytics.run_models import run_models

    settings = services().settings
    as_of = _date_arg("as_of")
    try:
        summary = run_models(warehouse_for(settings), as_of, *from_settings(settings))
    except duckdb.Error as exc:  # an input table is missing: nothing imported or refreshed yet
        raise Conflict(
            "the warehouse is missing model inputs; import the hospital's data and run "
            "POST /analytics/refresh first",
            [FieldError("warehouse", "missing_inputs", str(exc).splitlines()[0])],
        ) from exc
    audit_event("analytics.models", summary.as_dict())
    return jsonify(summary.as_dict())
