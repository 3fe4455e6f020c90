"""Scheduled-run records and leases on SQLite (see :mod:`statements.store.schedule`)."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from statements.errors import StoreUnavailable
from statements.store.schedule import ScheduledRun

SCHEDULE_SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduled_runs (
    run_id TEXT PRIMARY KEY,
    step TEXT NOT NULL,
    started_us INTEGER NOT NULL,
    ended_us INTEGER,
    outcome TEXT NOT NULL,
    counts TEXT NOT NULL,
    error TEXT,
    worker TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scheduled_runs_step ON scheduled_runs (step, started_us);
CREATE INDEX IF NOT EXISTS scheduled_runs_started ON scheduled_runs (started_us);
CREATE TABLE IF NOT EXISTS scheduler_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_us INTEGER NOT NULL
);
"""

_COLS = "run_id, step, started_us, ended_us, outcome, counts, error, worker"


def _run(row: Any) -> ScheduledRun:
    run_id, step, started, ended, outcome, counts, error, worker = row
    return ScheduledRun(run_id, step, started, worker, outcome, ended, json.loads(counts), error)


class SQLiteSchedule:
    """Mixin for :class:`statements.store.sqlite.SQLiteStore`: runs and leases."""

    def _conn(self) -> sqlite3.Connection:  # provided by the store
        raise NotImplementedError

    _write_lock: threading.RLock  # provided by SQLiteStore

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        with self._write_lock:
            try:
                return self._conn().execute(sql, params).rowcount
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"scheduler write failed: {exc}") from exc

    def start_run(self, run_id: str, step: str, started_us: int, worker: str) -> None:
        """Record a run as ``running``."""
        self._write(
            f"INSERT INTO scheduled_runs ({_COLS}) "
            "VALUES (?, ?, ?, NULL, 'running', '{}', NULL, ?)",
            (run_id, step, started_us, worker),
        )

    def finish_run(
        self, run_id: str, ended_us: int, outcome: str, counts: dict[str, Any], error: str | None
    ) -> None:
        """Close a run with its outcome, counts and error."""
        self._write(
            "UPDATE scheduled_runs SET ended_us = ?, outcome = ?, counts = ?, error = ? "
            "WHERE run_id = ?",
            (ended_us, outcome, json.dumps(counts, sort_keys=True), error, run_id),
        )

    def list_runs(self, step: str | None = None, limit: int = 50) -> list[ScheduledRun]:
        """Runs, newest first (optionally of one step)."""
        sql = f"SELECT {_COLS} FROM scheduled_runs"
        params: list[Any] = []
        if step is not None:
            sql += " WHERE step = ?"
            params.append(step)
        sql += " ORDER BY started_us DESC, rowid DESC LIMIT ?"
        params.append(limit)
        try:
            rows = self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"scheduler read failed: {exc}") from exc
        return [_run(r) for r in rows]

    def count_runs(self) -> dict[tuple[str, str], int]:
        """Number of runs per (step, outcome), over the whole history."""
        try:
            rows = (
                self._conn()
                .execute(
                    "SELECT step, outcome, count(*) FROM scheduled_runs GROUP BY step, outcome"
                )
                .fetchall()
            )
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"scheduler read failed: {exc}") from exc
        return {(step, outcome): int(n) for step, outcome, n in rows}

    def acquire_lease(self, name: str, owner: str, now_us: int, ttl_us: int) -> bool:
        """Take or renew lease ``name`` (one UPSERT: free, expired or already ours)."""
        changed = self._write(
            "INSERT INTO scheduler_leases (name, owner, expires_us) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
            "expires_us = excluded.expires_us "
            "WHERE scheduler_leases.owner = excluded.owner OR scheduler_leases.expires_us <= ?",
            (name, owner, now_us + ttl_us, now_us),
        )
        return changed == 1

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up (only when ``owner`` holds it)."""
        self._write("DELETE FROM scheduler_leases WHERE name = ? AND owner = ?", (name, owner))
