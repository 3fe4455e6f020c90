"""Expiry cliff, clearance for regulated tasks, and protocol-change burn-down queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboards.data import NoData, NotFound, Reader
from dashboards.filters import Filters
from dashboards.queries.common import dept_where, role_where, roles_table, snapshot_of


def _person_filters(r: Reader, f: Filters) -> tuple[str, str, list[object]]:
    dw, dp = dept_where(f)
    rw, rp = role_where(f)
    joins = (
        f"JOIN departments d USING (department_id) LEFT JOIN {roles_table(r)} r USING (role_code)"
    )
    return joins, f"{dw} AND {rw}", [*dp, *rp]


def expiry_cliff(r: Reader, f: Filters, days: int = 90) -> tuple[dt.date, pl.DataFrame]:
    """Expiries per ISO week and department in the ``days`` after the snapshot."""
    r.need("departments", "person_competency_status")
    snap = snapshot_of(r, f)
    if snap is None:
        raise NoData("No compliance snapshot on or before the chosen date.")
    joins, where, params = _person_filters(r, f)
    frame = r.frame(
        f"""SELECT date_trunc('week', p.expires_on)::DATE AS week, d.name AS department,
                   count(*) AS expiring
            FROM person_competency_status p {joins}
            WHERE p.as_of = ? AND p.expires_on > ? AND p.expires_on <= ? + ?::INTEGER AND {where}
            GROUP BY ALL ORDER BY week, department""",
        [snap, snap, snap, days, *params],
    )
    return snap, frame


@dataclass
class Clearance:
    """Regulated tasks, the snapshot used, counts, and (staff scope) the per-person rows."""

    snapshot: dt.date | None
    tasks: pl.DataFrame
    task_id: str
    summary: pl.DataFrame
    rows: pl.DataFrame | None


def clearance(r: Reader, f: Filters, task_id: str, with_rows: bool) -> Clearance:
    """Who is cleared for ``task_id`` at the latest snapshot not after the as-of date."""
    r.need("regulated_tasks", "cleared", "departments")
    tasks = r.frame("SELECT task_id, name, competency_ids FROM regulated_tasks ORDER BY task_id")
    ids = tasks["task_id"].to_list()
    if task_id and task_id not in ids:
        raise NotFound(f"There is no regulated task with the id '{task_id}'.")
    task_id = task_id or (ids[0] if ids else "")
    snap = snapshot_of(r, f, "cleared")
    if snap is None or not task_id:
        return Clearance(snap, tasks, task_id, pl.DataFrame(), None)
    staff = (
        "staff"
        if r.has("staff")
        else "(SELECT NULL::VARCHAR person_key, NULL::VARCHAR "
        "department_id, NULL::VARCHAR role_code WHERE false)"
    )
    dw, dp = dept_where(f)
    rw, rp = role_where(f)
    base = f"""FROM cleared x JOIN {staff} s USING (person_key)
        JOIN departments d ON d.department_id = s.department_id
        LEFT JOIN {roles_table(r)} r ON r.role_code = s.role_code
        WHERE x.as_of = ? AND x.task_id = ? AND {dw} AND {rw}"""
    params = [snap, task_id, *dp, *rp]
    summary = r.frame(
        f"SELECT d.name AS department, count(*) FILTER (WHERE x.cleared) AS cleared, "
        f"count(*) AS staff {base} GROUP BY ALL "
        "ORDER BY count(*) FILTER (WHERE x.cleared) / count(*), department",
        params,
    )
    rows = None
    if with_rows:
        ident = r.has("identity.identity_map")
        who = "coalesce(i.person_id, x.person_key)" if ident else "x.person_key"
        join = (
            "LEFT JOIN (SELECT person_key, min(person_id) AS person_id FROM "
            "identity.identity_map GROUP BY person_key) i ON i.person_key = x.person_key"
            if ident
            else ""
        )
        evidence = (
            "x.evidence_ids"
            if "evidence_ids" in r.columns.get("cleared", frozenset())
            else "flatten(list_transform(x.competencies, lambda c: c.evidence_ids))"
        )
        rows = r.frame(
            f"""SELECT {who} AS person, d.name AS department, s.role_code AS role, x.cleared,
                   array_to_string({evidence}, ' ') AS evidence_statement_ids
                {base.replace("WHERE", f"{join} WHERE", 1)} ORDER BY department, person""",
            params,
        )
    return Clearance(snap, tasks, task_id, summary, rows)


def burn_down(r: Reader, f: Filters) -> tuple[dt.date | None, pl.DataFrame, pl.DataFrame]:
    """Per protocol change and department: weekly share of required staff retrained since it.

    A person counts as retrained from the date of their latest evidence on or after the change
    (a lower bound when they retrained more than once).
    """
    r.need("protocol_changes", "person_competency_status", "departments")
    snap = snapshot_of(r, f)
    changes = r.frame(
        """SELECT p.competency_id, coalesce(c.name, p.competency_id) AS competency,
                  p.change_date, p.new_version, p.retrain_due_days,
                  p.change_date + coalesce(p.retrain_due_days, 0)::INTEGER AS due_date
           FROM protocol_changes p LEFT JOIN competencies c USING (competency_id)
           WHERE ?::DATE IS NULL OR p.change_date <= ? ORDER BY p.change_date DESC""",
        [snap, snap],
    )
    if snap is None or changes.is_empty():
        return snap, changes, pl.DataFrame()
    joins, where, params = _person_filters(r, f)
    curve = r.frame(
        f"""WITH req AS (
              SELECT pc.competency_id, pc.change_date, d.name AS department, p.last_evidence_at
              FROM protocol_changes pc JOIN person_competency_status p
                ON p.competency_id = pc.competency_id
              {joins}
              WHERE p.as_of = ? AND p.status <> 'not_required' AND pc.change_date <= ? AND {where}),
            weeks AS (
              SELECT DISTINCT competency_id, change_date, department,
                     unnest(generate_series(change_date::TIMESTAMP, ?::TIMESTAMP,
                                            INTERVAL 7 DAY))::DATE AS day
              FROM req)
            SELECT w.competency_id, w.change_date, w.department, w.day,
                   count(*) FILTER (WHERE q.last_evidence_at >= w.change_date
                                    AND q.last_evidence_at::DATE <= w.day) / count(*) AS share,
                   count(*) AS required
            FROM weeks w JOIN req q USING (competency_id, change_date, department)
            GROUP BY ALL ORDER BY w.competency_id, w.change_date, w.department, w.day""",
        [snap, snap, *params, snap],
    )
    return snap, changes, curve
