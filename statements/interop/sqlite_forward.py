"""Forwarding destinations, dead letters and provenance in the SQLite store's file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from statements.interop.model import DeadLetter, Destination
from statements.store.sqlite.side import SQLiteSideTables

SCHEMA = """
CREATE TABLE IF NOT EXISTS forward_destinations (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS forward_dead (
    name TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    at_us INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'dead',
    PRIMARY KEY (name, statement_id)
);
CREATE TABLE IF NOT EXISTS statement_provenance (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    stored TEXT,
    authority TEXT
);
"""

_DEAD_COLS = "name, statement_id, seq, error, attempts, at_us, state"


class SQLiteForward(SQLiteSideTables):
    """The forwarding tables of a :class:`SQLiteStore` (same file, same write lock)."""

    SCHEMA = SCHEMA
    FEATURE = "forwarding"
    CONFLICT = "a destination with this name already exists"

    # -- destinations ------------------------------------------------------------------------
    def add_destination(self, dest: Destination) -> None:
        """Store a new destination; ``Conflict`` if the name exists."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO forward_destinations (name, body) VALUES (?, ?)",
                (dest.name, json.dumps(dest.__dict__)),
            )

    def get_destination(self, name: str) -> Destination | None:
        """The destination, or None."""
        rows = self._read("SELECT body FROM forward_destinations WHERE name = ?", (name,))
        return Destination(**json.loads(rows[0][0])) if rows else None

    def list_destinations(self) -> list[Destination]:
        """All destinations by name."""
        rows = self._read("SELECT body FROM forward_destinations ORDER BY name")
        return [Destination(**json.loads(r[0])) for r in rows]

    def remove_destination(self, name: str) -> bool:
        """Delete the destination and its dead letters; False if unknown."""
        with self._tx() as conn:
            conn.execute("DELETE FROM forward_dead WHERE name = ?", (name,))
            cur = conn.execute("DELETE FROM forward_destinations WHERE name = ?", (name,))
            return cur.rowcount > 0

    def save_destination(self, dest: Destination, dead: Sequence[DeadLetter] = ()) -> None:
        """Write the destination's progress and add dead letters, in one transaction."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE forward_destinations SET body = ? WHERE name = ?",
                (json.dumps(dest.__dict__), dest.name),
            )
            conn.executemany(
                f"INSERT OR REPLACE INTO forward_dead ({_DEAD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [tuple(d.__dict__.values()) for d in dead],
            )

    # -- dead letters --------------------------------------------------------------------------
    def list_dead(self, name: str, state: str | None = None, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters of a destination in ``seq`` order (``state`` "dead"/"retry"/None: all)."""
        sql = f"SELECT {_DEAD_COLS} FROM forward_dead WHERE name = ?"
        params: list[Any] = [name]
        if state is not None:
            sql += " AND state = ?"
            params.append(state)
        rows = self._read(sql + " ORDER BY seq LIMIT ?", [*params, limit])
        return [DeadLetter(*r) for r in rows]

    def count_dead(self, name: str, state: str) -> int:
        """How many dead letters of this state the destination has."""
        rows = self._read(
            "SELECT COUNT(*) FROM forward_dead WHERE name = ? AND state = ?", (name, state)
        )
        return int(rows[0][0])

    def queue_retries(self, name: str) -> int:
        """Queue every dead letter of the destination for another delivery; how many."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE forward_dead SET state = 'retry' WHERE name = ? AND state = 'dead'",
                (name,),
            )
            return cur.rowcount

    def remove_dead(self, name: str, ids: Sequence[str]) -> None:
        """Forget dead letters that have now been delivered."""
        with self._tx() as conn:
            conn.executemany(
                "DELETE FROM forward_dead WHERE name = ? AND statement_id = ?",
                [(name, i) for i in ids],
            )

    # -- the outbox (the statement log above a watermark) --------------------------------------
    def depth(self, watermark: int) -> int:
        """Statements stored after ``watermark`` (the outbox depth before filtering)."""
        rows = self._read("SELECT COUNT(*) FROM statements WHERE seq > ?", (watermark,))
        return int(rows[0][0])

    def oldest_after(self, watermark: int) -> int | None:
        """``stored`` (µs) of the first statement after ``watermark``, or None."""
        rows = self._read(
            "SELECT stored_us FROM statements WHERE seq > ? ORDER BY seq LIMIT 1", (watermark,)
        )
        return int(rows[0][0]) if rows else None

    def max_seq(self) -> int:
        """The newest ``seq`` (0 when empty)."""
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM statements")[0][0])

    # -- provenance of imported statements -----------------------------------------------------
    def record_provenance(self, rows: Sequence[tuple[str, str, str | None, Any]]) -> None:
        """Keep (id, source, source ``stored``, source ``authority``) of imported statements."""
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO statement_provenance (id, source, stored, authority)"
                " VALUES (?, ?, ?, ?)",
                [(i.lower(), s, st, json.dumps(a)) for i, s, st, a in rows],
            )

    def get_provenance(self, statement_id: str) -> dict[str, Any] | None:
        """Where an imported statement came from, or None."""
        rows = self._read(
            "SELECT source, stored, authority FROM statement_provenance WHERE id = ?",
            (statement_id.lower(),),
        )
        if not rows:
            return None
        source, stored, authority = rows[0]
        return {"source": source, "stored": stored, "authority": json.loads(authority)}
