"""Writing statement batches to SQLite: one pass per batch, group commit, no checkpoints.

A batch is written with one ``executemany`` for its statement rows (``INSERT … ON CONFLICT (id)
DO NOTHING``; if fewer rows than records went in, the ids that collided are named in an
:class:`~statements.errors.IdConflict` and the batch is undone) and one for its key rows
(:mod:`statements.store.sqlite.keys`).

After the last batch of a group, the key rows of the newest statements move from ``key_tail``
into ``key_rows`` once the tail holds :data:`~statements.store.sqlite.keys.TAIL_STATEMENTS`
statements (:func:`~statements.store.sqlite.keys.merge_tail`, same transaction).

Group commit: callers queue their batch and then take the process's write lock; whoever gets
it writes every queued batch in one transaction, each inside its own SAVEPOINT, then COMMITs
once. A batch that fails (conflict, voiding rule) is rolled back to its savepoint and its error
goes to its own caller only; the others commit. A failed COMMIT fails every batch of the group
(none of them is stored). Each caller returns only after the COMMIT that holds its batch.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from statements import jsonenc
from statements.errors import BadRequest, Conflict, IdConflict, LRSError, StoreUnavailable
from statements.store.base import Attachment, StatementRecord
from statements.store.sqlite import keys as sqlite_keys
from statements.store.sqlite.checkpoint import Checkpointer
from statements.timefmt import format_us

_INSERT = (
    "INSERT INTO statements (seq, id, stored_us, voided, ref_target, voids, authority_key, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)


@dataclass
class _Job:
    records: Sequence[StatementRecord]
    attachments: Sequence[Attachment]
    done: bool = False
    error: BaseException | None = field(default=None)
    kids: dict[tuple[int, str], int] = field(default_factory=dict)  # interned ids it used


def _dumps(body: object) -> str:
    return jsonenc.dumps_text(body)


class SQLiteWrites:
    """``insert`` for :class:`statements.store.sqlite.SQLiteStore` (which provides the rest)."""

    insert_reports_collisions = True  # a refused batch names its stored ids and costs nothing

    _write_lock: threading.RLock
    _queue_lock: threading.Lock
    _queue: list[_Job]
    checkpointer: Checkpointer | None
    key_tail: int  # statements whose key rows wait in key_tail (keys.merge_tail)

    def _writer(self) -> sqlite3.Connection:  # pragma: no cover - provided by SQLiteStore
        raise NotImplementedError

    def _drop_writer(self) -> None:  # pragma: no cover - provided by SQLiteStore
        raise NotImplementedError

    @property
    def _kid_cache(self) -> sqlite_keys.KidCache:
        """The writer's cache of interned ids (use only under ``_write_lock``)."""
        cache: sqlite_keys.KidCache | None = self.__dict__.get("_kids")
        if cache is None:
            cache = self.__dict__["_kids"] = sqlite_keys.KidCache()
        return cache

    def insert(
        self, records: Sequence[StatementRecord], attachments: Sequence[Attachment] = ()
    ) -> None:
        """Store the batch atomically (see the module doc); ``IdConflict`` names stored ids."""
        job = _Job(records, attachments)
        with self._queue_lock:
            self._queue.append(job)
        with self._write_lock:
            if not job.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._write_group(group)
        if job.error is not None:
            raise job.error

    def _write_group(self, group: list[_Job]) -> None:
        try:
            conn = self._writer()
            conn.execute("BEGIN IMMEDIATE")
            self._kid_cache.begin(conn)
        except (sqlite3.Error, LRSError) as exc:
            self._fail(group, StoreUnavailable(f"store is busy or read-only: {exc}"))
            return
        written: list[_Job] = []
        try:
            for job in group:
                if self._write_one(conn, job):
                    written.append(job)
            top = max((r.seq for job in written for r in job.records if r.seq), default=0)
            if top:
                sqlite_keys.merge_tail(conn, top, self.key_tail)
            conn.execute("COMMIT")
            for job in written:
                self._kid_cache.commit(job.kids)
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            self._drop_writer()
            self._fail(group, StoreUnavailable(f"store write failed: {exc}"))
            if not isinstance(exc, Exception):
                raise
            return
        for job in group:
            job.done = True
        if written and self.checkpointer is not None:
            self.checkpointer.wrote()

    @staticmethod
    def _fail(group: list[_Job], error: BaseException) -> None:
        for job in group:
            job.error = job.error or error
            job.done = True

    def _write_one(self, conn: sqlite3.Connection, job: _Job) -> bool:
        """One batch inside its savepoint; False (and ``job.error`` set) when it was undone."""
        conn.execute("SAVEPOINT batch")
        try:
            self._insert_locked(conn, job)
        except (LRSError, sqlite3.IntegrityError) as exc:
            job.kids = {}
            conn.execute("ROLLBACK TO batch")
            conn.execute("RELEASE batch")
            if isinstance(exc, sqlite3.IntegrityError):
                exc = Conflict(f"a statement with this id already exists: {exc}")
            job.error = exc
            return False
        conn.execute("RELEASE batch")
        return True

    def _insert_locked(self, conn: sqlite3.Connection, job: _Job) -> None:
        records, attachments = job.records, job.attachments
        if records:
            job.kids = self._insert_statements(conn, records)
        if attachments:
            conn.executemany(
                "INSERT OR IGNORE INTO attachments (sha2, content_type, content) VALUES (?, ?, ?)",
                [(a.sha2, a.content_type, a.content) for a in attachments],
            )

    def _insert_statements(
        self, conn: sqlite3.Connection, records: Sequence[StatementRecord]
    ) -> dict[tuple[int, str], int]:
        """Write the batch's rows; the interned ids its key rows used."""
        batch_ids = {r.id.lower(): r for r in records}
        _check_voiding(conn, records, batch_ids)
        voided_ids = _ids_in(conn, "voids", batch_ids) | {r.voids for r in records if r.voids}
        referenced = _ids_in(conn, "ref_target", batch_ids)
        referenced |= {r.ref_target for r in records if r.ref_target}
        last = conn.execute("SELECT MAX(stored_us) FROM statements").fetchone()[0] or 0
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'statements'").fetchone()
        base = int(row[0]) if row else 0
        rows = []
        for n, rec in enumerate(records, start=1):
            if rec.stored_us < last:
                rec.stored_us = last
                rec.body["stored"] = format_us(last)
            last = rec.stored_us
            rec.seq = base + n
            rec.voided = rec.id.lower() in voided_ids and rec.voids is None
            rows.append(
                (rec.seq, rec.id.lower(), rec.stored_us, int(rec.voided), rec.ref_target,
                 rec.voids, rec.authority_key, _dumps(rec.body))
            )  # fmt: skip
        inserted = conn.executemany(_INSERT, rows).rowcount
        if inserted != len(records):
            raise IdConflict("a statement with this id already exists", _collided(conn, records))
        kids = sqlite_keys.write_keys(conn, records, self._kid_cache.known)
        for rec in records:
            if rec.ref_target:
                sqlite_keys.copy_from_target(conn, rec.seq, rec.ref_target)
        for rec in records:
            if rec.id.lower() in referenced:
                sqlite_keys.propagate(conn, rec.id.lower(), rec.seq)
        voiding = [(r.voids,) for r in records if r.voids]
        if voiding:
            conn.executemany(
                "UPDATE statements SET voided = 1 WHERE id = ? AND voids IS NULL", voiding
            )
        return kids


def _collided(conn: sqlite3.Connection, records: Sequence[StatementRecord]) -> list[str]:
    """Ids of the batch whose stored row is not the one this batch just wrote."""
    mine = {r.id.lower(): r.seq for r in records}
    stored: dict[str, int] = {}
    ids = list(mine)
    for start in range(0, len(ids), sqlite_keys.CHUNK):
        chunk = ids[start : start + sqlite_keys.CHUNK]
        marks = ",".join("?" * len(chunk))
        for sid, seq in conn.execute(
            f"SELECT id, seq FROM statements WHERE id IN ({marks})", chunk
        ).fetchall():
            stored[sid] = seq
    return [sid for sid, seq in mine.items() if stored.get(sid) != seq]


def _ids_in(conn: sqlite3.Connection, column: str, ids: Iterable[str]) -> set[str]:
    """The values of ``column`` (voids / ref_target) among ``ids`` in stored statements."""
    wanted = list(ids)
    found: set[str] = set()
    for start in range(0, len(wanted), sqlite_keys.CHUNK):
        chunk = wanted[start : start + sqlite_keys.CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT DISTINCT {column} FROM statements WHERE {column} IN ({marks})", chunk
        ).fetchall()
        found.update(str(r[0]) for r in rows)
    return found


def _check_voiding(
    conn: sqlite3.Connection,
    records: Sequence[StatementRecord],
    batch: dict[str, StatementRecord],
) -> None:
    for rec in records:
        if not rec.voids:
            continue
        target = batch.get(rec.voids)
        if target is not None:
            is_voiding = target.voids is not None
        else:
            row = conn.execute("SELECT voids FROM statements WHERE id = ?", (rec.voids,)).fetchone()
            is_voiding = row is not None and row[0] is not None
        if is_voiding:
            raise BadRequest(f"statement {rec.id} voids a voiding statement")
