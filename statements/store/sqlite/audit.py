"""Append-only audit log on SQLite (the chain logic is in :mod:`statements.audit`)."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from statements.audit import AuditEntry, chained
from statements.errors import StoreUnavailable

AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    at_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_actor ON audit_log (actor, seq);
CREATE INDEX IF NOT EXISTS audit_at ON audit_log (at_us);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""


def _entry(row: Any) -> AuditEntry:
    seq, at_us, actor, action, detail, prev_hash, digest = row
    return AuditEntry(seq, at_us, actor, action, json.loads(detail), prev_hash, digest)


class SQLiteAudit:
    """Mixin for :class:`statements.store.sqlite.SQLiteStore`: ``append_audit``, ``list_audit``."""

    def _conn(self) -> sqlite3.Connection:  # provided by the store
        raise NotImplementedError

    _write_lock: threading.RLock  # provided by SQLiteStore

    def append_audit(
        self, at_us: int, actor: str, action: str, detail: dict[str, Any]
    ) -> AuditEntry:
        """Append one entry, chained to the last, under the write lock."""
        with self._write_lock:
            return self._append_tx(at_us, actor, action, detail)

    def _append_tx(self, at_us: int, actor: str, action: str, detail: dict[str, Any]) -> AuditEntry:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT seq, at_us, actor, action, detail, prev_hash, hash FROM audit_log"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            entry = chained(_entry(row) if row else None, at_us, actor, action, detail)
            conn.execute(
                "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.seq,
                    entry.at_us,
                    entry.actor,
                    entry.action,
                    json.dumps(entry.detail, sort_keys=True),
                    entry.prev_hash,
                    entry.hash,
                ),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailable(f"audit write failed: {exc}") from exc
        return entry

    def list_audit(
        self, since_us: int | None = None, actor: str | None = None, limit: int = 10_000
    ) -> list[AuditEntry]:
        """Entries in order, optionally from a time and for one actor."""
        sql = "SELECT seq, at_us, actor, action, detail, prev_hash, hash FROM audit_log WHERE 1=1"
        params: list[Any] = []
        if since_us is not None:
            sql += " AND at_us >= ?"
            params.append(since_us)
        if actor is not None:
            sql += " AND actor = ?"
            params.append(actor)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        try:
            rows = self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"audit read failed: {exc}") from exc
        return [_entry(r) for r in rows]
