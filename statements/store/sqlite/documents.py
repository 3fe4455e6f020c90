"""SQLite implementation of the document, Activity and Agent parts of the store contract.

A mixin for :class:`statements.store.sqlite.SQLiteStore` (which provides ``_conn()``). Every
write runs in one ``BEGIN IMMEDIATE`` transaction, so a precondition is checked against the
document as it is when the write lock is held. Absent scope parts are stored as ``''`` so that
the primary key is total (SQLite treats NULLs in a key as distinct); every lookup is a prefix
of that key. The DDL is ``DOCUMENTS_SCHEMA`` in :mod:`statements.store.sqlite.schema`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from statements.documents import (
    STATE,
    UNCONDITIONAL,
    Document,
    DocumentIds,
    DocumentScope,
    Precondition,
    ifi_of,
    merge_activity,
    merge_json,
    person_from,
)
from statements.errors import StoreUnavailable
from statements.ifi import agent_key as ifi_key
from statements.store.base import Attachment

T = TypeVar("T")

_DOC_COLS = "document_id, content, content_type, digest, updated_us"
_KEY = "kind = ? AND activity_id = ? AND agent_key = ? AND registration = ? AND document_id = ?"


def _owner(scope: DocumentScope) -> tuple[str, str, str]:
    return (scope.kind, scope.activity_id or "", scope.agent_key or "")


def _key(scope: DocumentScope, document_id: str) -> tuple[str, ...]:
    return (*_owner(scope), scope.registration or "", document_id)


def _where_scope(scope: DocumentScope) -> tuple[str, list[Any]]:
    """WHERE for every document of a scope; a State scope without registration spans all."""
    sql = "kind = ? AND activity_id = ? AND agent_key = ?"
    params: list[Any] = list(_owner(scope))
    if scope.kind != STATE or scope.registration is not None:
        sql += " AND registration = ?"
        params.append(scope.registration or "")
    return sql, params


class SQLiteDocuments:
    """Documents, canonical Activities and seen Agents on the store's SQLite connection."""

    def _conn(self) -> sqlite3.Connection:  # pragma: no cover - provided by SQLiteStore
        raise NotImplementedError

    _write_lock: threading.RLock  # provided by SQLiteStore

    def _doc_write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in one IMMEDIATE transaction; domain errors roll back and propagate."""
        with self._write_lock:
            return self._doc_write_tx(work)

    def _doc_write_tx(self, work: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store is busy or read-only: {exc}") from exc
        try:
            result = work(conn)
            conn.execute("COMMIT")
            self._note_write()
        except BaseException as exc:
            self._abort(conn, exc)
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailable(f"store write failed: {exc}") from exc
            raise
        return result

    def _note_write(self) -> None:  # pragma: no cover - provided by SQLiteStore
        """Tell the background checkpointer that a transaction committed."""

    def _abort(self, conn: sqlite3.Connection, exc: BaseException) -> None:
        """Roll back a failed write transaction and, after a driver error, drop the connection.

        SQLite may already have rolled back (it does on a full disk), so ROLLBACK only runs
        while a transaction is open. A connection that met a driver error is closed so that the
        next call reopens it: one opened while the directory was read-only stays read-only.
        """
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.IntegrityError):
            self.close()

    def close(self) -> None:  # pragma: no cover - provided by SQLiteStore
        """Close this thread's connection."""
        raise NotImplementedError

    def _doc_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    # -- documents ---------------------------------------------------------------------------
    @staticmethod
    def _doc_load(
        conn: sqlite3.Connection, scope: DocumentScope, document_id: str
    ) -> Document | None:
        row = conn.execute(
            f"SELECT {_DOC_COLS} FROM documents WHERE {_KEY}", _key(scope, document_id)
        ).fetchone()
        if row is None:
            return None
        doc_id, content, content_type, digest, updated = row
        return Document(scope, doc_id, bytes(content), content_type, updated, digest)

    @staticmethod
    def _doc_save(conn: sqlite3.Connection, doc: Document) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO documents (kind, activity_id, agent_key, registration,"
            " document_id, content, content_type, digest, updated_us)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *_key(doc.scope, doc.document_id),
                doc.content,
                doc.content_type,
                doc.digest,
                doc.updated_us,
            ),
        )

    def get_document(self, scope: DocumentScope, document_id: str) -> Document | None:
        """The document, or None."""
        try:
            return self._doc_load(self._conn(), scope, document_id)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    def put_document(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
        precondition: Precondition = UNCONDITIONAL,
    ) -> Document:
        """Create or replace the document after checking ``precondition`` under the write lock."""
        new = Document.create(scope, document_id, content, content_type, updated_us)

        def work(conn: sqlite3.Connection) -> Document:
            precondition.check(self._doc_load(conn, scope, document_id))
            self._doc_save(conn, new)
            return new

        return self._doc_write(work)

    def merge_document(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
        precondition: Precondition = UNCONDITIONAL,
    ) -> Document:
        """Store when absent, else merge the posted JSON object into the stored one."""

        def work(conn: sqlite3.Connection) -> Document:
            current = self._doc_load(conn, scope, document_id)
            precondition.check(current)
            if current is None:
                new = Document.create(scope, document_id, content, content_type, updated_us)
            else:
                merged = merge_json(current, content, content_type)
                new = Document.create(scope, document_id, merged, current.content_type, updated_us)
            self._doc_save(conn, new)
            return new

        return self._doc_write(work)

    def delete_document(
        self, scope: DocumentScope, document_id: str, precondition: Precondition = UNCONDITIONAL
    ) -> bool:
        """Delete one document; False when absent."""

        def work(conn: sqlite3.Connection) -> bool:
            current = self._doc_load(conn, scope, document_id)
            precondition.check(current)
            if current is None:
                return False
            conn.execute(f"DELETE FROM documents WHERE {_KEY}", _key(scope, document_id))
            return True

        return self._doc_write(work)

    def list_document_ids(self, scope: DocumentScope, since_us: int | None = None) -> DocumentIds:
        """Ids updated after ``since_us`` (exclusive), oldest update first, without repeats."""
        where, params = _where_scope(scope)
        if since_us is not None:
            where += " AND updated_us > ?"
            params.append(since_us)
        rows = self._doc_rows(
            f"SELECT document_id, MAX(updated_us) AS last FROM documents WHERE {where}"
            " GROUP BY document_id ORDER BY last, document_id",
            params,
        )
        ids = [r[0] for r in rows]
        return DocumentIds(ids, max((r[1] for r in rows), default=None))

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete every State document of the scope; the number deleted."""
        if scope.kind != STATE:
            raise ValueError("only State documents are deleted in bulk")
        where, params = _where_scope(scope)
        return self._doc_write(
            lambda conn: conn.execute(f"DELETE FROM documents WHERE {where}", params).rowcount
        )

    # -- activities and agents ---------------------------------------------------------------
    def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """The canonical Activity, or None."""
        rows = self._doc_rows("SELECT body FROM activities WHERE id = ?", (activity_id,))
        return dict(json.loads(rows[0][0])) if rows else None

    def _doc_read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``read`` on this thread's connection, outside any write transaction."""
        try:
            return read(self._conn())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    def upsert_activity_definitions(
        self, activities: Sequence[dict[str, Any]], may_define: bool
    ) -> None:
        """Fold the Activities into the canonical ones (first wins unless ``may_define``).

        What would change is worked out first on a plain read: Activities that change
        nothing (the usual case) never take the write lock. The write works it out again
        under the lock, against the canonical bodies as they are then.
        """

        def changes(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
            seen: dict[str, dict[str, Any] | None] = {}
            changed: dict[str, dict[str, Any]] = {}
            for activity in activities:
                aid = activity.get("id")
                if not isinstance(aid, str):
                    continue
                if aid not in seen:
                    row = conn.execute(
                        "SELECT body FROM activities WHERE id = ?", (aid,)
                    ).fetchone()
                    seen[aid] = json.loads(row[0]) if row else None
                merged = merge_activity(seen[aid], activity, may_define)
                if merged is not None:
                    seen[aid] = changed[aid] = merged
            return changed

        def work(conn: sqlite3.Connection) -> None:
            for aid, merged in changes(conn).items():
                conn.execute(
                    "INSERT OR REPLACE INTO activities (id, body) VALUES (?, ?)",
                    (aid, json.dumps(merged, ensure_ascii=False, separators=(",", ":"))),
                )

        if not activities:
            return
        pending: dict[str, dict[str, Any]] = self._doc_read(changes)
        if pending:
            self._doc_write(work)

    def record_agents(self, agents: Sequence[dict[str, Any]]) -> None:
        """Remember each identified agent's IFI and name.

        Agents (and names) already stored are found on a plain read first: a batch of known
        agents never takes the write lock.
        """
        rows = []
        for agent in agents:
            key = ifi_key(agent)
            if key is not None:
                name = agent.get("name")
                rows.append((key, ifi_of(agent), name if isinstance(name, str) else None))
        if not rows:
            return

        def unknown(conn: sqlite3.Connection) -> bool:
            keys = sorted({key for key, _ifi, _name in rows})
            stored: set[str] = set()
            named: set[tuple[str, str]] = set()
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                stored.update(
                    r[0]
                    for r in conn.execute(
                        f"SELECT agent_key FROM agents WHERE agent_key IN ({marks})", chunk
                    )
                )
                named.update(
                    (r[0], r[1])
                    for r in conn.execute(
                        f"SELECT agent_key, name FROM agent_names WHERE agent_key IN ({marks})",
                        chunk,
                    )
                )
            return any(
                key not in stored or (name is not None and (key, name) not in named)
                for key, _ifi, name in rows
            )

        def work(conn: sqlite3.Connection) -> None:
            for key, ifi, name in rows:
                conn.execute(
                    "INSERT OR IGNORE INTO agents (agent_key, ifi) VALUES (?, ?)",
                    (key, json.dumps(ifi, ensure_ascii=False, separators=(",", ":"))),
                )
                if name is not None:
                    conn.execute(
                        "INSERT OR IGNORE INTO agent_names (agent_key, name) VALUES (?, ?)",
                        (key, name),
                    )

        if self._doc_read(unknown):
            self._doc_write(work)

    def get_agent_person(self, agent_key: str) -> dict[str, Any] | None:
        """The Person for the IFI key: its IFI and every name seen with it; None if unknown."""
        rows = self._doc_rows("SELECT ifi FROM agents WHERE agent_key = ?", (agent_key,))
        if not rows:
            return None
        names = self._doc_rows(
            "SELECT name FROM agent_names WHERE agent_key = ? ORDER BY seq", (agent_key,)
        )
        return person_from([json.loads(rows[0][0])], [n[0] for n in names])

    # -- export for ``lrs migrate`` ----------------------------------------------------------
    def iter_documents(self) -> Iterator[Document]:
        """Every document of every scope."""
        rows = self._doc_rows(
            "SELECT kind, activity_id, agent_key, registration, document_id, content,"
            " content_type, digest, updated_us FROM documents"
            " ORDER BY kind, activity_id, agent_key, registration, document_id"
        )
        for kind, act, agent, reg, doc_id, content, ctype, digest, updated in rows:
            scope = DocumentScope(kind, act or None, agent or None, reg or None)
            yield Document(scope, doc_id, bytes(content), ctype, updated, digest)

    def iter_activities(self) -> Iterator[dict[str, Any]]:
        """Every canonical Activity."""
        for (body,) in self._doc_rows("SELECT body FROM activities ORDER BY id"):
            yield dict(json.loads(body))

    def iter_agents(self) -> Iterator[tuple[dict[str, Any], list[str]]]:
        """Every seen agent as (IFI, names in the order first seen)."""
        for key, ifi in self._doc_rows("SELECT agent_key, ifi FROM agents ORDER BY agent_key"):
            names = self._doc_rows(
                "SELECT name FROM agent_names WHERE agent_key = ? ORDER BY seq", (key,)
            )
            yield json.loads(ifi), [n[0] for n in names]

    def iter_attachments(self) -> Iterator[Attachment]:
        """Every stored attachment."""
        for sha, ctype, content in self._doc_rows(
            "SELECT sha2, content_type, content FROM attachments ORDER BY sha2"
        ):
            yield Attachment(sha, ctype, bytes(content))
