"""Filter fragments and the resolution of "as of" to a warehouse month or snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dashboards.data import NoData, Reader
from dashboards.filters import Filters
from statements.people import Scope

EMPTY_ROLES = (
    "(SELECT NULL::VARCHAR AS role_code, NULL::VARCHAR AS role_family, "
    "NULL::VARCHAR AS title WHERE false)"
)


def dept_where(f: Filters, alias: str = "d") -> tuple[str, list[Any]]:
    """``site`` / ``service_line`` and the viewer's scope on a ``departments`` alias."""
    sql = f"(? = '' OR {alias}.site = ?) AND (? = '' OR {alias}.service_line = ?)"
    scoped, scope_params = scope_where(f.scope, alias)
    return f"{sql} AND {scoped}", [f.site, f.site, f.service_line, f.service_line, *scope_params]


def scope_where(scope: Scope, alias: str = "d") -> tuple[str, list[Any]]:
    """The departments a scope sees, as a condition on a ``departments`` alias."""
    if scope.all:
        return "true", []
    parts: list[str] = []
    params: list[Any] = []
    for col, values in (
        ("site", scope.sites),
        ("service_line", scope.service_lines),
        ("department_id", scope.departments),
    ):
        if values:
            parts.append(f"{alias}.{col} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return ("(" + " OR ".join(parts) + ")" if parts else "false"), params


def in_scope(r: Reader, scope: Scope, department_id: str) -> bool:
    """True when ``department_id`` is a department the scope sees."""
    if scope.all:
        return True
    if not r.has("departments"):
        return False
    where, params = scope_where(scope)
    found = r.rows(
        f"SELECT 1 FROM departments d WHERE d.department_id = ? AND {where}",
        [department_id, *params],
    )
    return bool(found)


def role_where(f: Filters, alias: str = "r") -> tuple[str, list[Any]]:
    """``role_family`` condition on a ``roles`` alias, with parameters."""
    return f"(? = '' OR {alias}.role_family = ?)", [f.role_family, f.role_family]


def roles_table(r: Reader) -> str:
    """``roles`` when imported, else an empty relation of the same shape."""
    return "roles" if r.has("roles") else EMPTY_ROLES


def column(r: Reader, table: str, name: str, alias: str, sql_type: str = "DOUBLE") -> str:
    """``alias.name`` when ``table`` has that column, else a typed NULL (models still landing)."""
    if name in r.columns.get(table, frozenset()):
        return f"{alias}.{name}"
    return f"NULL::{sql_type}"


def established(r: Reader, alias: str = "m") -> str:
    """The denominator of every rate: ``n_established`` (required staff less new hires still
    onboarding) when the model writes it, else ``n_required`` (older models)."""
    if "n_established" in r.columns.get("dept_competency_month", frozenset()):
        return f"coalesce({alias}.n_established, {alias}.n_required)"
    return f"{alias}.n_required"


def month_of(r: Reader, f: Filters, table: str = "dept_competency_month") -> dt.date:
    """The latest month of ``table`` not after the as-of date (NoData when there is none)."""
    r.need(table)
    bound = dt.date(f.as_of.year, f.as_of.month, 1) if f.as_of else None
    row = r.rows(
        f"SELECT max(month) FROM {table} WHERE ?::DATE IS NULL OR month <= ?", [bound, bound]
    )
    if not row or row[0][0] is None:
        raise NoData(f"No {table} rows on or before the chosen date.")
    return _as_date(row[0][0])


def snapshot_of(r: Reader, f: Filters, table: str = "person_competency_status") -> dt.date | None:
    """The latest ``as_of`` snapshot of ``table`` not after the as-of date (None when none)."""
    if not r.has(table):
        return None
    row = r.rows(
        f"SELECT max(as_of) FROM {table} WHERE ?::DATE IS NULL OR as_of <= ?", [f.as_of, f.as_of]
    )
    return _as_date(row[0][0]) if row and row[0][0] is not None else None


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of ``k`` successes in ``n`` trials (``(nan, nan)`` when n = 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
