"""API credentials on SQLite: add, read, revoke, rotate, expiry and last-used time.

A mixin for :class:`statements.store.sqlite.SQLiteStore`. Databases created before expiry and
last-used existed get the columns on ``init()`` (:func:`upgrade_credentials`, idempotent).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from statements.errors import Conflict, StoreUnavailable
from statements.store.base import Credential

_COLS = "key, secret_hash, name, scopes, authority, created, revoked, expires, last_used"
NEW_COLUMNS = {"expires": "TEXT", "last_used": "TEXT"}


def upgrade_credentials(conn: sqlite3.Connection) -> None:
    """Add the columns newer versions need to an existing ``credentials`` table."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(credentials)").fetchall()}
    for name, sql_type in NEW_COLUMNS.items():
        if name not in have:
            try:
                conn.execute(f"ALTER TABLE credentials ADD COLUMN {name} {sql_type}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise


def _credential(row: Sequence[Any]) -> Credential:
    key, secret_hash, name, scopes, authority, created, revoked, expires, last_used = row
    return Credential(
        key=key,
        secret_hash=secret_hash,
        name=name,
        scopes=tuple(json.loads(scopes)),
        authority=json.loads(authority),
        created=created,
        revoked=bool(revoked),
        expires=expires,
        last_used=last_used,
    )


class SQLiteCredentials:
    """Credential methods on the store's SQLite connection."""

    def _conn(self) -> sqlite3.Connection:  # pragma: no cover - provided by SQLiteStore
        raise NotImplementedError

    _write_lock: threading.RLock  # provided by SQLiteStore

    def _note_write(self) -> None:  # pragma: no cover - provided by SQLiteStore
        """Tell the background checkpointer that a transaction committed."""

    def _cred_write(self, sql: str, params: Sequence[Any]) -> int:
        try:
            with self._write_lock:
                count = self._conn().execute(sql, params).rowcount
            self._note_write()
            return count
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"credential {params[0]} exists") from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store write failed: {exc}") from exc

    def _cred_read(self, sql: str, params: Sequence[Any] = ()) -> list[Credential]:
        try:
            rows = self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc
        return [_credential(r) for r in rows]

    def add_credential(self, credential: Credential) -> None:
        """Store a new credential; ``Conflict`` if the key exists."""
        self._cred_write(
            f"INSERT INTO credentials ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                credential.key,
                credential.secret_hash,
                credential.name,
                json.dumps(list(credential.scopes)),
                json.dumps(credential.authority),
                credential.created,
                int(credential.revoked),
                credential.expires,
                credential.last_used,
            ),
        )

    def get_credential(self, key: str) -> Credential | None:
        """The credential with this key, revoked or not."""
        found = self._cred_read(f"SELECT {_COLS} FROM credentials WHERE key = ?", (key,))
        return found[0] if found else None

    def list_credentials(self) -> list[Credential]:
        """All credentials, oldest first."""
        return self._cred_read(f"SELECT {_COLS} FROM credentials ORDER BY created, key")

    def revoke_credential(self, key: str) -> bool:
        """Mark revoked; False when the key is unknown."""
        return self._cred_write("UPDATE credentials SET revoked = 1 WHERE key = ?", (key,)) > 0

    def rotate_credential(self, key: str, secret_hash: str, expires: str | None) -> bool:
        """Replace the secret hash and the expiry; False when the key is unknown."""
        return (
            self._cred_write(
                "UPDATE credentials SET secret_hash = ?, expires = ? WHERE key = ?",
                (secret_hash, expires, key),
            )
            > 0
        )

    def touch_credential(self, key: str, last_used: str) -> None:
        """Record the time of the last successful use."""
        self._cred_write("UPDATE credentials SET last_used = ? WHERE key = ?", (last_used, key))
