"""Run one import: validate the file, then upsert its valid rows in one atomic warehouse write.

Staff imports also refresh the admin-only identity map (person and actor pseudonyms), the
``staff_history`` of department/role changes (as of the import date) and the statements'
person/department/role columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from analytics.etl import enrich
from analytics.imports.spec import KINDS, Kind
from analytics.imports.validate import FileRefused, check_rows, read_rows
from analytics.pseudonym import actor_key, person_key
from analytics.warehouse import Connection, Warehouse
from statements.errors import BadRequest
from statements.ifi import agent_key

POLARS_TYPES: dict[str, Any] = {
    "VARCHAR": pl.String,
    "DATE": pl.Date,
    "TIMESTAMPTZ": pl.Datetime("us", "UTC"),
    "DOUBLE": pl.Float64,
    "BOOLEAN": pl.Boolean,
    "VARCHAR[]": pl.List(pl.String),
}

IDENTITY_COLUMNS = (
    "person_key",
    "person_id",
    "mbox",
    "account_homepage",
    "account_name",
    "actor_key",
)


@dataclass
class ImportReport:
    """The outcome of one import file: rows read and loaded, and every error found."""

    kind: str
    read: int = 0
    loaded: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    refused: str | None = None
    strict: bool = False

    @property
    def ok(self) -> bool:
        """True when the file was accepted with no bad row."""
        return self.refused is None and not self.errors

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready rendering."""
        return {
            "kind": self.kind,
            "read": self.read,
            "loaded": self.loaded,
            "rejected": len({e["line"] for e in self.errors}),
            "refused": self.refused,
            "strict": self.strict,
            "errors": self.errors,
        }


def kind_of(name: str) -> Kind:
    """The import kind called ``name``, or ``BadRequest`` listing the kinds."""
    if name not in KINDS:
        raise BadRequest(f"unknown import kind {name!r}: choose from {', '.join(KINDS)}")
    return KINDS[name]


def import_file(
    warehouse: Warehouse,
    kind_name: str,
    data: bytes,
    fmt: str,
    secret: bytes,
    *,
    strict: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Validate ``data`` (``csv`` or ``jsonl``) and upsert its valid rows atomically.

    With ``strict`` any bad row loads nothing. A refused file (unknown/missing columns, patient
    identifiers) loads nothing and says why in ``refused``.
    """
    kind = kind_of(kind_name)
    report = ImportReport(kind.name, strict=strict)
    try:
        checked = check_rows(kind, read_rows(kind, data, fmt))
    except FileRefused as exc:
        report.refused, report.errors = exc.message, exc.errors
        return report
    report.read, report.errors = checked.read, checked.errors
    if (strict and checked.errors) or not checked.rows:
        return report
    with warehouse.write() as conn:
        upsert(conn, kind, checked.rows, secret)
        if kind.name == "staff":
            _staff_side_tables(conn, checked.rows, secret, today or datetime.now(UTC).date())
    report.loaded = len(checked.rows)
    return report


def _frame(kind: Kind, rows: Sequence[dict[str, Any]], secret: bytes) -> pl.DataFrame:
    stored = kind.stored_columns()
    data: dict[str, list[Any]] = {name: [] for name, _ in stored}
    for row in rows:
        for name, _ in stored:
            if name == "person_key" and kind.pseudonymise:
                data[name].append(person_key(secret, row["person_id"]))
            else:
                data[name].append(row[name])
    return pl.DataFrame(data, schema={name: POLARS_TYPES[t] for name, t in stored})


def upsert(conn: Connection, kind: Kind, rows: Sequence[dict[str, Any]], secret: bytes) -> None:
    """Replace the rows sharing a key with ``rows`` (validated, input column names)."""
    conn.register("incoming", _frame(kind, rows, secret).to_arrow())
    try:
        match = " AND ".join(f't."{k}" = incoming."{k}"' for k in kind.stored_key)
        conn.execute(f"DELETE FROM {kind.name} AS t USING incoming WHERE {match}")
        conn.execute(f"INSERT INTO {kind.name} BY NAME SELECT * FROM incoming")
    finally:
        conn.unregister("incoming")


def _identities(rows: Sequence[dict[str, Any]], secret: bytes) -> pl.DataFrame:
    out: list[dict[str, Any]] = []
    for row in rows:
        base = {
            "person_key": person_key(secret, row["person_id"]),
            "person_id": row["person_id"],
            "mbox": row["mbox"],
            "account_homepage": row["account_homepage"],
            "account_name": row["account_name"],
        }
        agents = []
        if row["mbox"]:
            agents.append({"mbox": row["mbox"]})
            # Content that hides emails sends the SHA1 of the mailto IRI (xAPI 1.0.3 §2.4.2.3).
            sha1 = hashlib.sha1(str(row["mbox"]).encode("utf-8"), usedforsecurity=False)
            agents.append({"mbox_sha1sum": sha1.hexdigest()})
        if row["account_homepage"] and row["account_name"]:
            account = {"homePage": row["account_homepage"], "name": row["account_name"]}
            agents.append({"account": account})
        for agent in agents:
            ifi = agent_key(agent)
            if ifi is not None:
                out.append({**base, "actor_key": actor_key(secret, ifi)})
    return pl.DataFrame(out, schema=dict.fromkeys(IDENTITY_COLUMNS, pl.String))


def _staff_side_tables(
    conn: Connection, rows: Sequence[dict[str, Any]], secret: bytes, today: date
) -> None:
    conn.register("idents", _identities(rows, secret).to_arrow())
    conn.register("roster", _frame(KINDS["staff"], rows, secret).to_arrow())
    try:
        conn.execute(
            "DELETE FROM identity.identity_map WHERE person_key IN (SELECT person_key FROM roster)"
        )
        conn.execute("INSERT INTO identity.identity_map BY NAME SELECT * FROM idents")
        conn.execute(
            "UPDATE staff_history AS h SET valid_to = $today FROM roster AS n "
            "WHERE h.person_key = n.person_key AND h.valid_to IS NULL "
            "AND (h.department_id <> n.department_id OR h.role_code <> n.role_code)",
            {"today": today},
        )
        conn.execute(
            "INSERT INTO staff_history SELECT n.person_key, n.department_id, n.role_code, "
            "CASE WHEN n.person_key IN (SELECT person_key FROM staff_history) THEN $today END, "
            "NULL FROM roster AS n WHERE n.person_key NOT IN "
            "(SELECT person_key FROM staff_history WHERE valid_to IS NULL)",
            {"today": today},
        )
    finally:
        conn.unregister("idents")
        conn.unregister("roster")
    enrich(conn)
