"""Readiness heatmap and department drill-down queries."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboards.data import NotFound, Reader
from dashboards.filters import Filters
from dashboards.queries.common import (
    column,
    dept_where,
    established,
    month_of,
    role_where,
    roles_table,
    snapshot_of,
)

DECOMPOSITION = (
    "expiries",
    "failed_assessments",
    "new_hires_onboarding",
    "protocol_invalidation",
    "turnover",
    "never_passed_overdue",
)


def heatmap_cells(r: Reader, f: Filters) -> tuple[dt.date, pl.DataFrame]:
    """One row per department x competency at the as-of month, with its flag."""
    r.need("departments", "competencies", "dept_competency_month")
    month = month_of(r, f)
    where, params = dept_where(f)
    flags = (
        "flags"
        if r.has("flags")
        else "(SELECT NULL::VARCHAR department_id, NULL::VARCHAR competency_id, NULL::DATE month, "
        "NULL::VARCHAR flag, NULL::VARCHAR method, NULL::DOUBLE slope, "
        "NULL::DOUBLE slope_ci_low, NULL::DOUBLE slope_ci_high, NULL::VARCHAR explanation "
        "WHERE false)"
    )
    expl = (
        column(r, "flags", "explanation", "fl", "VARCHAR") if r.has("flags") else "fl.explanation"
    )
    state = column(r, "dept_competency_month", "readiness_state", "m", "VARCHAR")
    frame = r.frame(
        f"""
        SELECT d.department_id, d.name AS department, coalesce(d.service_line, '—') AS service_line,
               m.competency_id, c.name AS competency, coalesce(c.category, '—') AS category,
               {established(r)} AS n_required, m.compliance_shrunk AS compliance,
               m.compliance_lo, m.compliance_hi,
               m.readiness, m.readiness_lo, m.readiness_hi,
               coalesce(fl.flag, 'OK') AS flag, fl.method, fl.slope, fl.slope_ci_low,
               fl.slope_ci_high, {expl}::VARCHAR AS explanation, {state} AS readiness_state
        FROM dept_competency_month m
        JOIN departments d USING (department_id)
        JOIN competencies c USING (competency_id)
        LEFT JOIN {flags} fl ON fl.department_id = m.department_id
             AND fl.competency_id = m.competency_id AND fl.month = m.month
        WHERE m.month = ? AND {where}
        ORDER BY service_line, department, category, competency
        """,
        [month, *params],
    )
    reasons = [
        readable_reason(reason_of(e), d, c, n)
        for e, d, c, n in zip(
            frame["explanation"].to_list(),
            frame["department_id"].to_list(),
            frame["competency_id"].to_list(),
            frame["competency"].to_list(),
            strict=True,
        )
    ]
    return month, frame.drop("explanation").with_columns(reason=pl.Series(reasons, dtype=pl.Utf8))


def readable_reason(
    reason: str | None, department_id: str, competency_id: str, competency: str
) -> str | None:
    """A flag's reason as a leader reads it beside the cell's name: without the leading
    "DEPT / COMP:" codes (the label names the cell) and with the competency named."""
    if not reason:
        return reason
    prefix = re.compile(
        rf"^(?:[A-Z_]+ in )?{re.escape(department_id)} / {re.escape(competency_id)}:\s*"
    )
    text = prefix.sub("", reason, count=1)
    if competency and competency != competency_id:
        text = re.sub(rf"(?<![\w-]){re.escape(competency_id)}(?![\w-])", competency, text)
    return text[:1].upper() + text[1:] if text else reason


def reason_of(raw: Any) -> str | None:
    """The plain-words reason of a flag from its explanation JSON (``reason``, else ``text``)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return str(raw)
    if not isinstance(data, dict):
        return None
    found = data.get("reason") or data.get("text")
    return str(found) if found else None


def department(r: Reader, department_id: str) -> dict[str, Any]:
    """The department's row (:class:`NotFound` when unknown)."""
    r.need("departments")
    rows = r.rows(
        "SELECT department_id, name, service_line, unit_type, site FROM departments "
        "WHERE department_id = ?",
        [department_id],
    )
    if not rows:
        raise NotFound(f"There is no department with the id '{department_id}'.")
    keys = ("department_id", "name", "service_line", "unit_type", "site")
    return dict(zip(keys, rows[0], strict=True))


def trends(r: Reader, department_id: str, month: dt.date) -> pl.DataFrame:
    """Monthly series per competency of one department, up to ``month``, with flags."""
    flag_join = (
        "LEFT JOIN flags fl ON fl.department_id = m.department_id "
        "AND fl.competency_id = m.competency_id AND fl.month = m.month"
        if r.has("flags")
        else "LEFT JOIN (SELECT NULL::VARCHAR flag, NULL::DOUBLE low_limit WHERE false) fl ON false"
    )
    low = column(r, "flags", "low_limit", "fl") if r.has("flags") else "fl.low_limit"
    return r.frame(
        f"""
        SELECT m.competency_id, c.name AS competency, m.month, {established(r)} AS n_required,
               m.compliance_rate, m.compliance_shrunk, m.compliance_lo, m.compliance_hi,
               m.readiness, m.ewma, m.ewma_lcl, {low} AS low_limit,
               coalesce(fl.flag, 'OK') AS flag
        FROM dept_competency_month m JOIN competencies c USING (competency_id)
        {flag_join}
        WHERE m.department_id = ? AND m.month <= ? AND m.month > ? - INTERVAL 24 MONTH
        ORDER BY c.category, c.name, m.month
        """,
        [department_id, month, month],
    )


def drops(r: Reader, department_id: str, month: dt.date) -> pl.DataFrame:
    """Flags of the month (not OK) with their decomposition parsed from ``explanation``."""
    if not r.has("flags"):
        return pl.DataFrame()
    rows = r.rows(
        """SELECT c.name, fl.flag, fl.method, fl.baseline, fl.current, fl.slope, fl.n,
                  fl.explanation
           FROM flags fl JOIN competencies c USING (competency_id)
           WHERE fl.department_id = ? AND fl.month = ? AND fl.flag NOT IN ('OK')
           ORDER BY c.name""",
        [department_id, month],
    )
    out = []
    for name, flag, method, baseline, current, slope, n, explanation in rows:
        parts, text = _explanation(explanation)
        out.append(
            {
                "competency": name,
                "flag": flag,
                "method": method,
                "baseline": baseline,
                "current": current,
                "slope": slope,
                "n": n,
                "text": text,
                **{k: parts.get(k) for k in DECOMPOSITION},
            }
        )
    return pl.DataFrame(out, infer_schema_length=None)


def _explanation(raw: Any) -> tuple[dict[str, float], str]:
    try:
        data = json.loads(raw) if isinstance(raw, str) else (raw or {})
    except ValueError:
        return {}, str(raw)
    if not isinstance(data, dict):
        return {}, str(data)
    parts = data.get("decomposition") or {}
    clean = {k: float(v) for k, v in parts.items() if isinstance(v, int | float)}
    return clean, str(data.get("reason") or data.get("text") or "")


@dataclass
class StaffRows:
    """Aggregate status counts (always) and staff rows (staff scope only)."""

    snapshot: dt.date | None
    counts: pl.DataFrame
    rows: pl.DataFrame | None


def staff_status(r: Reader, f: Filters, department_id: str, with_rows: bool) -> StaffRows:
    """Status counts per competency; with ``with_rows`` also one row per person x competency."""
    snap = snapshot_of(r, f)
    if snap is None:
        return StaffRows(None, pl.DataFrame(), None)
    rw, rp = role_where(f)
    base = f"""FROM person_competency_status p JOIN competencies c USING (competency_id)
        LEFT JOIN {roles_table(r)} r ON r.role_code = p.role_code
        WHERE p.as_of = ? AND p.department_id = ? AND p.status <> 'not_required' AND {rw}"""
    params = [snap, department_id, *rp]
    counts = r.frame(
        f"SELECT c.name AS competency, p.status, count(*) AS staff {base} "
        "GROUP BY ALL ORDER BY competency, status",
        params,
    )
    rows = None
    if with_rows:
        ident = r.has("identity.identity_map")
        who = "coalesce(i.person_id, p.person_key)" if ident else "p.person_key"
        mbox = "i.mbox" if ident else "NULL::VARCHAR"
        join = (
            "LEFT JOIN (SELECT person_key, min(person_id) AS person_id, "
            "string_agg(DISTINCT mbox, ', ') AS mbox FROM identity.identity_map "
            "GROUP BY person_key) i ON i.person_key = p.person_key"
            if ident
            else ""
        )
        base_join = base.replace("WHERE", f"{join} WHERE", 1)
        table = "person_competency_status"
        ready = column(r, table, "readiness", "p")
        mastery = column(r, table, "first_attempt_mastery", "p")
        state = column(r, table, "readiness_state", "p", "VARCHAR")
        lo = column(r, table, "readiness_lo", "p")
        hi = column(r, table, "readiness_hi", "p")
        rows = r.frame(
            f"""SELECT {who} AS person, {mbox} AS mbox, p.role_code AS role,
                   c.name AS competency, p.status, round({ready}, 2) AS readiness,
                   CASE WHEN {state} = 'no_assessment_evidence' THEN 'no assessment evidence'
                        WHEN {lo} IS NOT NULL AND {hi} IS NOT NULL
                        THEN printf('%.0f-%.0f %%', 100 * {lo}, 100 * {hi}) END AS readiness_band,
                   p.expires_on, round({mastery}, 2) AS first_attempt_mastery
                {base_join} ORDER BY person, competency""",
            params,
        )
    return StaffRows(snap, counts, rows)
