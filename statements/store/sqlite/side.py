"""A base for feature tables kept in the SQLite store's file (forwarding, alerts).

Each feature keeps its own schema and queries; what they share is the store's connection and
write lock, a write transaction that maps driver errors to the LRS's errors, a read that does
the same, and an idempotent ``init``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from statements.errors import Conflict, StoreUnavailable
from statements.store.sqlite import SQLiteStore


class SQLiteSideTables:
    """Tables of one feature in a :class:`SQLiteStore` (same file, same write lock).

    Subclasses set ``SCHEMA`` (idempotent DDL), ``FEATURE`` (named in errors) and
    ``CONFLICT`` (the message when a primary key is already taken).
    """

    SCHEMA: ClassVar[str] = ""
    FEATURE: ClassVar[str] = "tables"
    CONFLICT: ClassVar[str] = "a row with this key already exists"

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.store._write_lock:
            conn = self.store._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise Conflict(self.CONFLICT) from exc
                if isinstance(exc, sqlite3.Error):
                    raise StoreUnavailable(f"store write failed: {exc}") from exc
                raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.store._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    def init(self) -> None:
        """Create the tables (idempotent)."""
        try:
            self.store._conn().executescript(self.SCHEMA)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot initialise {self.FEATURE}: {exc}") from exc
