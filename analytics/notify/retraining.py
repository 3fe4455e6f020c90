"""Retraining lists: who needs retraining in a department x competency, and why, with evidence.

Read from the last models run (``person_competency_status``, one ``as_of``); nothing is
recomputed. A required (person, competency) is listed with one ``reason``:

* ``update_due``: invalidated by a protocol change (evidence: the invalidated passes);
* ``failed``: lapsed (expired, in grace, overdue) with a failed attempt in the 90 days up to
  ``as_of`` (evidence: the failed statements, then whatever the status relied on);
* ``lapsed``: expired, in grace or overdue without a recent failure;
* ``due_soon``: still valid but expiring within ``due_within_days``.

Rows carry the pseudonym ``person_key``; ``identity=True`` (analytics/staff callers, who audit
the read) adds ``person_id`` and ``email`` from the identity map. docs/retraining.md documents
the columns and the CSV for LMS bulk assignment.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

import polars as pl

from analytics.models import evidence
from analytics.monthly import _STATEMENT_COLUMNS, FAILED_RECENT_DAYS, LAPSED, frame
from analytics.warehouse import Connection, Warehouse
from statements.errors import BadRequest, Conflict, FieldError, NotFound

REASONS = ("update_due", "failed", "lapsed", "due_soon")
COLUMNS = (
    "person_key", "person_id", "email", "department_id", "competency_id", "course_id",
    "due_date", "reason", "status", "evidence_ids", "as_of",
)  # fmt: skip
CSV_COLUMNS = (
    "user_id", "email", "course_id", "due_date", "reason", "department_id", "competency_id",
    "evidence_ids", "person_key", "status", "as_of",
)  # fmt: skip
_STATUS_SQL = (
    "SELECT as_of, person_key, department_id, competency_id, status, due_date, expires_on, "
    "evidence_ids FROM person_competency_status WHERE status IN "
    "('update_due', 'expired', 'in_grace', 'overdue', 'expiring_30', 'expiring_60', "
    "'expiring_90', 'compliant') AND (CAST(? AS VARCHAR) IS NULL OR department_id = ?) "
    "AND (CAST(? AS VARCHAR) IS NULL OR competency_id = ?)"
)


def check_reasons(reasons: Collection[str] | None) -> frozenset[str]:
    """The reasons asked for (all when none); :class:`BadRequest` naming an unknown one."""
    if not reasons:
        return frozenset(REASONS)
    bad = sorted(set(reasons) - set(REASONS))
    if bad:
        raise BadRequest(
            f"unknown reason {bad[0]!r}",
            [FieldError("reason", "enum", f"one of {', '.join(REASONS)}")],
        )
    return frozenset(reasons)


def model_as_of(conn: Connection, as_of: date | None) -> date:
    """The date of the last models run; :class:`Conflict` when none, or when ``as_of`` differs."""
    have = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'person_competency_status'"
    ).fetchall()[0][0]
    sql = "SELECT max(as_of) FROM person_competency_status"
    row = conn.execute(sql).fetchall()[0] if have else None
    if not row or row[0] is None:
        raise Conflict("no model run yet: run `lrs analytics models` first")
    last: date = row[0]
    if as_of is not None and as_of != last:
        raise Conflict(
            f"the last model run is as of {last}, not {as_of}: run "
            f"`lrs analytics models --as-of {as_of}` (or POST /analytics/models?as_of={as_of})",
            [FieldError("as_of", "model_run", f"latest run {last}")],
        )
    return last


def _classify(status: pl.DataFrame, failed: pl.DataFrame, due_days: int) -> pl.DataFrame:
    st = pl.col("status")
    soon = pl.col("as_of") + pl.duration(days=due_days)
    status = status.join(failed, on=["person_key", "competency_id"], how="left")
    has_failed = pl.col("failed_ids").is_not_null() & st.is_in(LAPSED)
    reason = (
        pl.when(st == "update_due")
        .then(pl.lit("update_due"))
        .when(has_failed)
        .then(pl.lit("failed"))
        .when(st.is_in(LAPSED))
        .then(pl.lit("lapsed"))
        .when(pl.col("expires_on").is_not_null() & (pl.col("expires_on") <= soon))
        .then(pl.lit("due_soon"))
    )
    ids = pl.when(has_failed).then(
        pl.concat_list("failed_ids", "evidence_ids").list.unique(maintain_order=True)
    )
    return status.with_columns(
        reason=reason, evidence_ids=ids.otherwise(pl.col("evidence_ids"))
    ).filter(pl.col("reason").is_not_null())


def _recent_failures(conn: Connection, status: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``person_key, competency_id, failed_ids`` for lapsed pairs with a recent failed attempt."""
    keys = status.filter(pl.col("status").is_in(LAPSED))["person_key"].unique().to_list()
    empty = pl.DataFrame(
        schema={"person_key": pl.Utf8, "competency_id": pl.Utf8, "failed_ids": pl.List(pl.Utf8)}
    )
    if not keys:
        return empty
    day = 'CAST("timestamp" AS DATE)'
    st = frame(
        conn,
        f"SELECT {_STATEMENT_COLUMNS} FROM statements WHERE list_contains(?, person_key) "
        f"AND {day} > ? AND {day} <= ?",
        [keys, as_of - timedelta(days=FAILED_RECENT_DAYS), as_of],
    )
    if st.is_empty():
        return empty
    st = st.with_columns(pl.col("timestamp").dt.convert_time_zone("UTC"))
    ev = evidence(st, frame(conn, "SELECT * FROM activity_competency"))
    return (
        ev.filter(pl.col("kind") == "failed")
        .sort("at", "statement_id", descending=[True, False])
        .group_by("person_key", "competency_id", maintain_order=True)
        .agg(failed_ids=pl.col("statement_id"))
    )


def _courses(conn: Connection) -> pl.DataFrame:
    """Per competency, its mapped activity ids (a ``/*`` prefix pattern names its course)."""
    return frame(
        conn,
        "SELECT competency_id, string_agg(DISTINCT regexp_replace(activity_id, '/\\*$', ''), '|' "
        "ORDER BY regexp_replace(activity_id, '/\\*$', '')) AS course_id "
        "FROM activity_competency GROUP BY competency_id",
    )


def _identities(conn: Connection, keys: list[str]) -> pl.DataFrame:
    schema = {"person_key": pl.Utf8, "person_id": pl.Utf8, "email": pl.Utf8}
    has = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'identity' "
        "AND table_name = 'identity_map'"
    ).fetchall()[0][0]
    if not has or not keys:
        return pl.DataFrame(schema=schema)
    return frame(
        conn,
        "SELECT person_key, min(person_id) AS person_id, "
        "min(regexp_replace(mbox, '^mailto:', '')) AS email FROM identity.identity_map "
        "WHERE list_contains(?, person_key) GROUP BY person_key",
        [keys],
    ).cast(schema)  # type: ignore[arg-type]


def retraining_frame(
    conn: Connection,
    department_id: str | None,
    competency_id: str | None,
    as_of: date | None,
    reason_filter: Collection[str] | None = None,
    *,
    due_within_days: int = 30,
    identity: bool = False,
) -> pl.DataFrame:
    """The list as a frame with :data:`COLUMNS` (``conn`` reads the warehouse, identity attached
    when ``identity``)."""
    reasons = check_reasons(reason_filter)
    last = model_as_of(conn, as_of)
    status = frame(conn, _STATUS_SQL, [department_id, department_id, competency_id, competency_id])
    listed = _classify(status, _recent_failures(conn, status, last), due_within_days)
    listed = listed.filter(pl.col("reason").is_in(sorted(reasons)))
    listed = listed.join(_courses(conn), on="competency_id", how="left")
    people = _identities(conn, listed["person_key"].unique().to_list()) if identity else None
    if people is None:
        listed = listed.with_columns(person_id=pl.lit(None, pl.Utf8), email=pl.lit(None, pl.Utf8))
    else:
        listed = listed.join(people, on="person_key", how="left")
    return listed.sort("department_id", "competency_id", "person_key").select(COLUMNS)


def retraining_list(
    warehouse: Warehouse,
    department_id: str | None,
    competency_id: str | None,
    as_of: date | None,
    reason_filter: Collection[str] | None = None,
    *,
    due_within_days: int = 30,
    identity: bool = False,
) -> list[dict[str, Any]]:
    """The retraining list as JSON-ready rows (dates as ISO strings), see :data:`COLUMNS`."""
    with warehouse.read(identity=identity) as conn:
        df = retraining_frame(
            conn,
            department_id,
            competency_id,
            as_of,
            reason_filter,
            due_within_days=due_within_days,
            identity=identity,
        )
    return [_plain(row) for row in df.to_dicts()]


def protocol_change_list(
    warehouse: Warehouse,
    competency_id: str,
    change_date: date,
    as_of: date | None = None,
    *,
    department_id: str | None = None,
    identity: bool = False,
) -> list[dict[str, Any]]:
    """Staff invalidated by the protocol change of ``competency_id`` on ``change_date``.

    :class:`NotFound` when no such invalidating change was imported; :class:`Conflict` when a
    later invalidating change (on or before the run's date) supersedes it or it is after it.
    """
    with warehouse.read(identity=identity) as conn:
        last = model_as_of(conn, as_of)
        changes = frame(
            conn,
            "SELECT change_date FROM protocol_changes WHERE competency_id = ? "
            "AND coalesce(invalidates_prior, false) ORDER BY change_date",
            [competency_id],
        )["change_date"].to_list()
        if change_date not in changes:
            raise NotFound(f"no invalidating protocol change of {competency_id!r} on {change_date}")
        in_force = [d for d in changes if d <= last]
        if not in_force or in_force[-1] != change_date:
            raise Conflict(
                f"the change of {change_date} is not the one in force on {last} "
                f"(in force: {in_force[-1] if in_force else 'none yet'})"
            )
        df = retraining_frame(
            conn, department_id, competency_id, last, ["update_due"], identity=identity
        )
    return [_plain(row) for row in df.to_dicts()]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The LMS bulk-assignment CSV (:data:`CSV_COLUMNS`; evidence ids joined by ``;``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r["person_id"] or "",
                r["email"] or "",
                r["course_id"] or "",
                r["due_date"] or "",
                r["reason"],
                r["department_id"] or "",
                r["competency_id"],
                ";".join(r["evidence_ids"] or []),
                r["person_key"],
                r["status"],
                r["as_of"],
            ]
        )
    return out.getvalue()
