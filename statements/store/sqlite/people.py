"""People and their server-side dashboard sessions on SQLite (a mixin of ``SQLiteStore``).

``people`` holds one row per person (email unique, lower-cased); ``people_sessions`` one row
per session, keyed by the sha256 of the session id (the id itself lives only in the cookie).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from statements.errors import Conflict, StoreUnavailable
from statements.people import Access, Person, SessionRecord

PEOPLE_SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    access TEXT NOT NULL,
    password_hash TEXT,
    totp_secret TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS people_sessions (
    id_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    method TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    access TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    last_seen_us INTEGER NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0,
    extra TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS people_sessions_person ON people_sessions (person_id);
"""
_P_COLS = "id, display_name, email, access, password_hash, totp_secret, disabled, created"
_S_COLS = (
    "id_hash, person_id, method, display_name, email, access, created_us, last_seen_us, "
    "ended, extra"
)


def _person(row: Sequence[Any]) -> Person:
    pid, name, email, access, pw, totp, disabled, created = row
    return Person(
        id=pid,
        display_name=name,
        email=email,
        access=Access.from_dict(json.loads(access)),
        password_hash=pw,
        totp_secret=totp,
        disabled=bool(disabled),
        created=created,
    )


def _session(row: Sequence[Any]) -> SessionRecord:
    id_hash, pid, method, name, email, access, created, seen, ended, extra = row
    return SessionRecord(
        id_hash=id_hash,
        person_id=pid,
        method=method,
        display_name=name,
        email=email,
        access=Access.from_dict(json.loads(access)),
        created_us=created,
        last_seen_us=seen,
        ended=bool(ended),
        extra=json.loads(extra),
    )


def _person_row(p: Person) -> tuple[Any, ...]:
    return (
        p.id,
        p.display_name,
        p.email.strip().lower(),
        json.dumps(p.access.as_dict()),
        p.password_hash,
        p.totp_secret,
        int(p.disabled),
        p.created,
    )


class SQLitePeople:
    """People and session methods on the store's SQLite connection."""

    def _conn(self) -> sqlite3.Connection:  # pragma: no cover - provided by SQLiteStore
        raise NotImplementedError

    _write_lock: threading.RLock  # provided by SQLiteStore

    def _people_write(self, sql: str, params: Sequence[Any]) -> int:
        try:
            with self._write_lock:
                return self._conn().execute(sql, params).rowcount
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a person with id {params[0]!r} or that email exists") from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store write failed: {exc}") from exc

    def _people_read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    def add_person(self, person: Person) -> None:
        """Store a new person; ``Conflict`` if the id or the email exists."""
        self._people_write(
            f"INSERT INTO people ({_P_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _person_row(person)
        )

    def update_person(self, person: Person) -> bool:
        """Replace a person's fields (by id); False when the id is unknown."""
        row = _person_row(person)
        sets = ", ".join(f"{c.strip()} = ?" for c in _P_COLS.split(",")[1:])
        return self._people_write(f"UPDATE people SET {sets} WHERE id = ?", (*row[1:], row[0])) > 0

    def get_person(self, person_id: str) -> Person | None:
        """The person with this id."""
        rows = self._people_read(f"SELECT {_P_COLS} FROM people WHERE id = ?", (person_id,))
        return _person(rows[0]) if rows else None

    def get_person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive)."""
        rows = self._people_read(
            f"SELECT {_P_COLS} FROM people WHERE email = ?", (email.strip().lower(),)
        )
        return _person(rows[0]) if rows else None

    def list_people(self) -> list[Person]:
        """Everyone, oldest first."""
        rows = self._people_read(f"SELECT {_P_COLS} FROM people ORDER BY created, id")
        return [_person(r) for r in rows]

    def remove_person(self, person_id: str) -> bool:
        """Delete a person and end their sessions; False when the id is unknown."""
        self.end_person_sessions(person_id)
        return self._people_write("DELETE FROM people WHERE id = ?", (person_id,)) > 0

    def add_session(self, record: SessionRecord) -> None:
        """Store a new session record."""
        self._people_write(
            f"INSERT INTO people_sessions ({_S_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id_hash,
                record.person_id,
                record.method,
                record.display_name,
                record.email,
                json.dumps(record.access.as_dict()),
                record.created_us,
                record.last_seen_us,
                int(record.ended),
                json.dumps(record.extra),
            ),
        )

    def get_session(self, id_hash: str) -> SessionRecord | None:
        """The session with this id hash (ended or not)."""
        rows = self._people_read(
            f"SELECT {_S_COLS} FROM people_sessions WHERE id_hash = ?", (id_hash,)
        )
        return _session(rows[0]) if rows else None

    def touch_session(self, id_hash: str, last_seen_us: int) -> None:
        """Record activity on a session (the idle timeout counts from here)."""
        self._people_write(
            "UPDATE people_sessions SET last_seen_us = ? WHERE id_hash = ?", (last_seen_us, id_hash)
        )

    def end_session(self, id_hash: str) -> bool:
        """Mark a session ended; False when unknown or already ended."""
        return (
            self._people_write(
                "UPDATE people_sessions SET ended = 1 WHERE id_hash = ? AND ended = 0", (id_hash,)
            )
            > 0
        )

    def end_person_sessions(self, person_id: str) -> int:
        """End every open session of a person; how many were open."""
        return self._people_write(
            "UPDATE people_sessions SET ended = 1 WHERE person_id = ? AND ended = 0", (person_id,)
        )
