"""Overview page: hospital KPIs, department compliance and data-quality warnings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from analytics.etl import UNMATCHED_SQL
from dashboards.data import Reader
from dashboards.filters import Filters
from dashboards.queries.common import (
    column,
    dept_where,
    established,
    month_of,
    role_where,
    roles_table,
    snapshot_of,
    wilson,
)

COMPLIANT = ("compliant", "expiring_30", "expiring_60", "expiring_90")


@dataclass
class Overview:
    """Everything the overview page shows."""

    month: dt.date
    compliance: float | None
    readiness: float | None
    weakest: str | None
    flag_counts: dict[str, int]
    expiring_30: int | None
    statements_24h: int | None
    last_refresh: dt.datetime | None
    departments: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    #: the compliance tile's counts: compliant and required staff-competencies
    n_compliant: int = 0
    n_required: int = 0


def department_compliance(r: Reader, f: Filters, month: dt.date) -> pl.DataFrame:
    """Per department at ``month``: counts, compliance with a Wilson 95 % interval, readiness."""
    where, params = dept_where(f)
    n = established(r)
    frame = r.frame(
        f"""
        SELECT d.department_id, d.name, d.service_line,
               sum({n})::BIGINT AS n_required, sum(m.n_compliant)::BIGINT AS n_compliant,
               sum(m.readiness * {n})
                 / nullif(sum({n}) FILTER (WHERE m.readiness IS NOT NULL), 0)
                 AS readiness,
               sum({n}) FILTER (WHERE m.readiness IS NOT NULL)::BIGINT AS n_ready,
               arg_min(c.name, m.compliance_shrunk) AS weakest
        FROM dept_competency_month m
        JOIN departments d USING (department_id)
        LEFT JOIN competencies c USING (competency_id)
        WHERE m.month = ? AND {where}
        GROUP BY ALL ORDER BY d.service_line, d.name
        """,
        [month, *params],
    )
    bounds = [wilson(k, n) for k, n in zip(frame["n_compliant"], frame["n_required"], strict=True)]
    return frame.with_columns(
        compliance=pl.col("n_compliant")
        / pl.when(pl.col("n_required") > 0).then(pl.col("n_required")),
        lo=pl.Series([b[0] for b in bounds], dtype=pl.Float64),
        hi=pl.Series([b[1] for b in bounds], dtype=pl.Float64),
    )


def _flag_counts(r: Reader, f: Filters, month: dt.date) -> dict[str, int]:
    if not r.has("flags"):
        return {}
    where, params = dept_where(f)
    rows = r.rows(
        f"SELECT flag, count(*) FROM flags JOIN departments d USING (department_id) "
        f"WHERE month = ? AND {where} GROUP BY flag",
        [month, *params],
    )
    return {str(k): int(v) for k, v in rows}


def _expiring(r: Reader, f: Filters) -> int | None:
    snap = snapshot_of(r, f)
    if snap is None:
        return None
    dw, dp = dept_where(f)
    rw, rp = role_where(f)
    row = r.rows(
        f"""SELECT count(*) FROM person_competency_status p
        JOIN departments d USING (department_id)
        LEFT JOIN {roles_table(r)} r ON r.role_code = p.role_code
        WHERE p.as_of = ? AND p.expires_on > ? AND p.expires_on <= ? + 30 AND {dw} AND {rw}""",
        [snap, snap, snap, *dp, *rp],
    )
    return int(row[0][0])


def _last_refresh(r: Reader) -> dt.datetime | None:
    if not r.has("etl_state"):
        return None
    cols = r.columns["etl_state"]
    col = next((c for c in ("last_refresh_at", "refreshed_at") if c in cols), None)
    if col is None:
        return None
    value = r.rows(f"SELECT max({col}) FROM etl_state")[0][0]
    return value if isinstance(value, dt.datetime) else None


def _statements_24h(r: Reader, until: dt.datetime) -> int | None:
    if not r.has("statements"):
        return None
    row = r.rows(
        "SELECT count(*) FROM statements WHERE stored > ?::TIMESTAMPTZ - INTERVAL 24 HOUR "
        "AND stored <= ?::TIMESTAMPTZ",
        [until, until],
    )
    return int(row[0][0])


def data_quality(r: Reader, f: Filters, month: dt.date) -> list[str]:
    """Warnings: unmatched actors, departments without census for the shown month."""
    out: list[str] = []
    unmatched = _unmatched(r)
    if unmatched:
        n, st = unmatched
        out.append(
            f"{n} xAPI actors ({st} statements) match no staff member, so their training is not "
            "counted. List them with `lrs analytics unmatched` and add them to the staff import."
        )
    where, params = dept_where(f)
    if not r.has("census"):
        out.append("No census imported: incident rates and the safety linkage are disabled.")
        return out
    missing = [
        str(name)
        for (name,) in r.rows(
            f"SELECT d.name FROM departments d WHERE {where} AND NOT EXISTS "
            "(SELECT 1 FROM census c "
            "WHERE c.department_id = d.department_id AND c.month = ?) ORDER BY d.name",
            [*params, month],
        )
    ]
    if missing:
        out.append(f"Census missing for {month:%Y-%m}: {', '.join(missing)}.")
    return out


UNMATCHED_COLUMNS = {"person_key", "actor_key", "voided", "is_voiding", "timestamp"}


def _unmatched(r: Reader) -> tuple[int, int] | None:
    """(actors, statements) of statements matching no staff member, as `lrs analytics unmatched`.

    Runs the CLI's own query (:data:`analytics.etl.UNMATCHED_SQL`) without the identity file.
    """
    if not r.has("statements_all") or not r.columns["statements_all"] >= UNMATCHED_COLUMNS:
        return None
    sql = UNMATCHED_SQL.replace("identity.actor_ifi", "(SELECT '' AS actor_key, '' AS ifi)")
    n, st = r.rows(f"SELECT count(*), coalesce(sum(statements), 0) FROM ({sql})")[0]
    return (int(n), int(st)) if n else None


def overview(r: Reader, f: Filters, now: dt.datetime) -> Overview:
    """The overview of the hospital (or the filtered part of it) at the as-of date."""
    r.need("departments", "competencies", "dept_competency_month")
    month = month_of(r, f)
    depts = department_compliance(r, f, month)
    total_n = int(depts["n_required"].sum() or 0)
    compliance = readiness = None
    if total_n:
        compliance = float(depts["n_compliant"].sum()) / total_n
        n_ready = int(depts["n_ready"].fill_null(0).sum() or 0)
        if n_ready:
            weighted = (depts["readiness"].fill_null(0) * depts["n_ready"].fill_null(0)).sum()
            readiness = float(weighted) / n_ready
    weakest = _weakest(r, f, month)
    until = now if f.as_of is None else dt.datetime.combine(f.as_of, dt.time.max, dt.UTC)
    return Overview(
        month=month,
        compliance=compliance,
        readiness=readiness,
        weakest=weakest,
        flag_counts=_flag_counts(r, f, month),
        expiring_30=_expiring(r, f),
        statements_24h=_statements_24h(r, until),
        last_refresh=_last_refresh(r),
        departments=depts,
        warnings=data_quality(r, f, month),
        n_compliant=int(depts["n_compliant"].sum() or 0) if total_n else 0,
        n_required=total_n,
    )


def _weakest(r: Reader, f: Filters, month: dt.date) -> str | None:
    """The competency with the lowest readiness (the number shown), with its interval.

    Competencies without assessment evidence have no readiness and are never "weakest".
    """
    where, params = dept_where(f)
    n = established(r)
    lo = column(r, "dept_competency_month", "readiness_lo", "m")
    hi = column(r, "dept_competency_month", "readiness_hi", "m")
    rows: list[Any] = r.rows(
        f"""SELECT c.name, sum(m.readiness * {n}) / sum({n}) AS rate,
                   sum({lo} * {n}) / sum({n}) AS lo,
                   sum({hi} * {n}) / sum({n}) AS hi
        FROM dept_competency_month m JOIN departments d USING (department_id)
        JOIN competencies c USING (competency_id)
        WHERE m.month = ? AND m.readiness IS NOT NULL AND {where}
        GROUP BY c.name HAVING sum({n}) > 0 ORDER BY rate, c.name LIMIT 1""",
        [month, *params],
    )
    if not rows:
        return None
    name, rate, low, high = rows[0]
    band = f", 95% {low:.0%}-{high:.0%}" if low is not None and high is not None else ""
    return f"{name} ({rate:.0%}{band})"
