"""Sign-ins under way: state -> (nonce, PKCE verifier, next page), each usable exactly once.

Kept server-side in a small SQLite file beside the store (``<data_dir>/sso-pending.sqlite``) so
every gunicorn worker on the host sees them, and the PKCE verifier never reaches the browser.
:meth:`PendingSignIns.take` deletes the row it returns in one statement, so a replayed or
concurrent second callback with the same state finds nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

MAX_AGE_US = 10 * 60 * 1_000_000  # a sign-in must come back from the provider within 10 minutes
MAX_PENDING = 10_000  # more sign-ins under way than this in 10 minutes is a flood, not staff


class TooManyPending(Exception):
    """The table is full of unfinished sign-ins (someone is hammering /dashboards/oidc/start)."""


@dataclass(frozen=True)
class Pending:
    """One sign-in under way."""

    state: str
    nonce: str
    verifier: str
    next_url: str
    created_us: int


class PendingSignIns:
    """The pending sign-ins table (thread- and process-safe through SQLite's own locking)."""

    def __init__(self, path: Path, limit: int = MAX_PENDING) -> None:
        self.path, self.limit = path, limit
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS pending (state TEXT PRIMARY KEY, nonce TEXT NOT NULL,"
                " verifier TEXT NOT NULL, next_url TEXT NOT NULL, created_us INTEGER NOT NULL)"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
            yield db

    def put(self, pending: Pending) -> None:
        """Remember a new sign-in (and drop the ones too old to finish)."""
        with self._lock, self._connect() as db:
            db.execute(
                "DELETE FROM pending WHERE created_us < ?", (pending.created_us - MAX_AGE_US,)
            )
            (count,) = db.execute("SELECT count(*) FROM pending").fetchone()
            if count >= self.limit:
                raise TooManyPending(f"{count} sign-ins under way")
            db.execute(
                "INSERT INTO pending VALUES (?, ?, ?, ?, ?)",
                (
                    pending.state,
                    pending.nonce,
                    pending.verifier,
                    pending.next_url,
                    pending.created_us,
                ),
            )

    def take(self, state: str, now_us: int) -> Pending | None:
        """The sign-in for ``state``, removed so it cannot be used again; None when unknown/old."""
        with self._lock, self._connect() as db:
            row = db.execute(
                "DELETE FROM pending WHERE state = ? RETURNING state, nonce, verifier, next_url,"
                " created_us",
                (state,),
            ).fetchone()
        if row is None:
            return None
        found = Pending(*row)
        if now_us - found.created_us > MAX_AGE_US:
            return None
        return found
