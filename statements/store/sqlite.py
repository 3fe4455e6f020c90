"""Embedded SQLite backend: WAL, busy timeout, one transaction per batch, indexed filters.

Statements are kept as their JSON text next to the columns queries use. Filter keys live in
``statement_keys`` (kind, value, seq) — a covering primary key, so a filtered page is an index
range scan in ``seq`` order. ``seq`` is the insertion order; ``stored`` never decreases along
it (enforced under the write lock), so ``since``/``until`` become ``seq`` bounds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from statements.errors import BadRequest, Conflict, StoreUnavailable
from statements.query import StatementQuery
from statements.store.base import Attachment, Page, StatementRecord
from statements.store.sqlite_audit import AUDIT_SCHEMA, SQLiteAudit
from statements.store.sqlite_credentials import SQLiteCredentials, upgrade_credentials
from statements.store.sqlite_erasure import SQLiteErasure
from statements.store.sqlite_schedule import SCHEDULE_SCHEMA, SQLiteSchedule
from statements.store.sqlite_schema import SCHEMA
from statements.timefmt import format_us

_COLS = "seq, id, stored_us, voided, ref_target, voids, authority_key, body"


def _record(row: sqlite3.Row | tuple[Any, ...]) -> StatementRecord:
    seq, sid, stored_us, voided, ref, voids, auth, body = row
    return StatementRecord(
        id=sid,
        body=json.loads(body),
        stored_us=stored_us,
        ref_target=ref,
        voids=voids,
        authority_key=auth,
        voided=bool(voided),
        seq=seq,
    )


class SQLiteStore(SQLiteErasure, SQLiteCredentials, SQLiteAudit, SQLiteSchedule):
    """The default store: one SQLite file, safe for several processes and threads."""

    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"unsupported SQLite synchronous mode: {synchronous}")
        self.path = str(path)
        self.synchronous = synchronous.upper()
        self._local = threading.local()
        # One writer per process at a time: SQLite's busy handler is not fair, and threads
        # spinning on the file lock starve each other; a Python lock queues them instead.
        self._write_lock = threading.RLock()

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={self.synchronous}")
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA foreign_keys=ON")
            except (sqlite3.Error, OSError) as exc:
                raise StoreUnavailable(f"cannot open the store: {exc}") from exc
            self._local.conn = conn
        return conn

    def init(self) -> None:
        """Create tables and indexes (idempotent)."""
        try:
            conn = self._conn()
            conn.executescript(SCHEMA + AUDIT_SCHEMA + SCHEDULE_SCHEMA)
            with self._write_lock:
                upgrade_credentials(conn)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot initialise the store: {exc}") from exc

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    # -- statements --------------------------------------------------------------------------
    def get_by_ids(self, ids: Sequence[str]) -> dict[str, StatementRecord]:
        """Stored records (voided or not) for the ids that exist."""
        out: dict[str, StatementRecord] = {}
        wanted = [i.lower() for i in ids]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._read(f"SELECT {_COLS} FROM statements WHERE id IN ({marks})", chunk):
                rec = _record(row)
                out[rec.id] = rec
        return out

    def insert(self, records: Sequence[StatementRecord], attachments: Sequence[Attachment]) -> None:
        """Store the batch in one IMMEDIATE transaction; nothing on any error."""
        with self._write_lock:
            self._insert_tx(records, attachments)

    def _insert_tx(
        self, records: Sequence[StatementRecord], attachments: Sequence[Attachment]
    ) -> None:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store is busy or read-only: {exc}") from exc
        try:
            self._insert_locked(conn, records, attachments)
            conn.execute("COMMIT")
        except BaseException as exc:
            self._abort(conn, exc)
            if isinstance(exc, sqlite3.IntegrityError):
                raise Conflict("a statement with this id already exists") from exc
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailable(f"store write failed: {exc}") from exc
            raise

    def _insert_locked(
        self,
        conn: sqlite3.Connection,
        records: Sequence[StatementRecord],
        attachments: Sequence[Attachment],
    ) -> None:
        last = conn.execute("SELECT MAX(stored_us) FROM statements").fetchone()[0] or 0
        batch_ids = {r.id.lower(): r for r in records}
        self._check_voiding(conn, records, batch_ids)
        # Two set lookups per batch instead of two queries per statement: which of these ids
        # are voided, and which are StatementRef targets, by stored or batch statements.
        voided_ids = self._ids_in(conn, "voids", batch_ids) | {r.voids for r in records if r.voids}
        referenced = self._ids_in(conn, "ref_target", batch_ids)
        referenced |= {r.ref_target for r in records if r.ref_target}
        for rec in records:
            if rec.stored_us < last:
                rec.stored_us = last
                rec.body["stored"] = format_us(last)
            voided = rec.id.lower() in voided_ids
            cur = conn.execute(
                "INSERT INTO statements (id, stored_us, voided, ref_target, voids, authority_key,"
                " body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.id.lower(),
                    rec.stored_us,
                    int(voided and rec.voids is None),
                    rec.ref_target,
                    rec.voids,
                    rec.authority_key,
                    json.dumps(rec.body, separators=(",", ":"), ensure_ascii=False),
                ),
            )
            rec.seq = int(cur.lastrowid or 0)
            rec.voided = bool(voided and rec.voids is None)
            conn.executemany(
                "INSERT OR IGNORE INTO statement_keys (kind, value, seq) VALUES (?, ?, ?)",
                [(kind, value, rec.seq) for kind, value in rec.keys],
            )
            if rec.ref_target:
                conn.execute(
                    "INSERT OR IGNORE INTO statement_keys (kind, value, seq) SELECT k.kind,"
                    " k.value, ? FROM statement_keys k JOIN statements s ON s.seq = k.seq"
                    " WHERE s.id = ?",
                    (rec.seq, rec.ref_target),
                )
            if rec.id.lower() in referenced:
                self._propagate(conn, rec.id.lower(), rec.seq)
            if rec.voids:
                conn.execute(
                    "UPDATE statements SET voided = 1 WHERE id = ? AND voids IS NULL",
                    (rec.voids,),
                )
        conn.executemany(
            "INSERT OR IGNORE INTO attachments (sha2, content_type, content) VALUES (?, ?, ?)",
            [(a.sha2, a.content_type, a.content) for a in attachments],
        )

    @staticmethod
    def _ids_in(conn: sqlite3.Connection, column: str, ids: Iterable[str]) -> set[str]:
        """The values of ``column`` (voids / ref_target) among ``ids`` in stored statements."""
        wanted = list(ids)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT DISTINCT {column} FROM statements WHERE {column} IN ({marks})", chunk
            ).fetchall()
            found.update(str(r[0]) for r in rows)
        return found

    @staticmethod
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
                row = conn.execute(
                    "SELECT voids FROM statements WHERE id = ?", (rec.voids,)
                ).fetchone()
                is_voiding = row is not None and row[0] is not None
            if is_voiding:
                raise BadRequest(f"statement {rec.id} voids a voiding statement")

    @staticmethod
    def _propagate(conn: sqlite3.Connection, target_id: str, target_seq: int) -> None:
        """Copy a newly stored statement's keys onto statements that already reference it."""
        seen = {target_seq}
        frontier = [(target_id, target_seq)]
        while frontier:
            tid, tseq = frontier.pop()
            for seq, sid in conn.execute(
                "SELECT seq, id FROM statements WHERE ref_target = ?", (tid,)
            ).fetchall():
                if seq in seen:
                    continue
                seen.add(seq)
                conn.execute(
                    "INSERT OR IGNORE INTO statement_keys (kind, value, seq)"
                    " SELECT kind, value, ? FROM statement_keys WHERE seq = ?",
                    (seq, tseq),
                )
                frontier.append((sid, seq))

    def query(self, query: StatementQuery) -> Page:
        """One page of non-voided matches, ordered by ``seq`` (= ``stored`` order)."""
        where = ["s.voided = 0"]
        params: list[Any] = []
        filters = query.filters()
        source = "statements s"
        order_col = "s.seq"
        if filters:
            kind, value = filters[0]
            source = "statement_keys k JOIN statements s ON s.seq = k.seq"
            where.insert(0, "k.kind = ? AND k.value = ?")
            params[:0] = [kind, value]
            order_col = "k.seq"
            for kind, value in filters[1:]:
                where.append(
                    "EXISTS (SELECT 1 FROM statement_keys x WHERE x.kind = ? AND x.value = ?"
                    " AND x.seq = s.seq)"
                )
                params += [kind, value]
        lo, hi = self._seq_bounds(query)
        if lo is not None:
            where.append(f"{order_col} > ?")
            params.append(lo)
        if hi is not None:
            where.append(f"{order_col} <= ?")
            params.append(hi)
        if query.authority is not None:
            where.append("s.authority_key = ?")
            params.append(query.authority)
        direction = "ASC" if query.ascending else "DESC"
        limit = max(query.limit, 1)
        sql = (
            f"SELECT s.seq, s.id, s.stored_us, s.voided, s.ref_target, s.voids, s.authority_key,"
            f" s.body FROM {source} WHERE {' AND '.join(where)}"
            f" ORDER BY {order_col} {direction} LIMIT ?"
        )
        rows = self._read(sql, [*params, limit + 1])
        records = [_record(r) for r in rows[:limit]]
        snapshot = hi if hi is not None else None
        nxt = records[-1].seq if len(rows) > limit else None
        return Page(records=records, next_after=nxt, snapshot_seq=snapshot)

    def _seq_bounds(self, query: StatementQuery) -> tuple[int | None, int | None]:
        """Turn since/until/cursor/snapshot into (exclusive low, inclusive high) seq bounds."""
        lo: int | None = None
        hi: int | None = query.snapshot_seq
        if hi is None:
            hi = self._read("SELECT COALESCE(MAX(seq), 0) FROM statements")[0][0]
        if query.since is not None:
            lo = self._last_seq_stored_by(query.since)
        if query.until is not None:
            hi = min(hi or 0, self._last_seq_stored_by(query.until))
        if query.after_seq is not None:
            if query.ascending:
                lo = max(lo or 0, query.after_seq)
            else:
                hi = min(hi if hi is not None else query.after_seq, query.after_seq - 1)
        return lo, hi

    def _last_seq_stored_by(self, us: int) -> int:
        """The newest ``seq`` stored at or before ``us`` (0 if none).

        ``stored`` never decreases along ``seq``, so walking the (stored_us, seq) index backwards
        from ``us`` finds it in one probe instead of scanning every earlier entry.
        """
        rows = self._read(
            "SELECT seq FROM statements WHERE stored_us <= ? ORDER BY stored_us DESC, seq DESC"
            " LIMIT 1",
            (us,),
        )
        return int(rows[0][0]) if rows else 0

    def get_attachments(self, hashes: Sequence[str]) -> dict[str, Attachment]:
        """Attachment bytes by hash."""
        out: dict[str, Attachment] = {}
        for sha in set(hashes):
            rows = self._read(
                "SELECT sha2, content_type, content FROM attachments WHERE sha2 = ?", (sha,)
            )
            if rows:
                out[sha] = Attachment(rows[0][0], rows[0][1], bytes(rows[0][2]))
        return out

    def iter_since(
        self, after_seq: int, batch_size: int = 10_000
    ) -> Iterator[list[StatementRecord]]:
        """Every statement after ``after_seq`` (voided included), in seq order, in batches."""
        cursor = after_seq
        while True:
            rows = self._read(
                f"SELECT {_COLS} FROM statements WHERE seq > ? ORDER BY seq LIMIT ?",
                (cursor, batch_size),
            )
            if not rows:
                return
            batch = [_record(r) for r in rows]
            cursor = batch[-1].seq
            yield batch

    def consistent_through_us(self) -> int | None:
        """``stored`` of the newest statement (None when empty)."""
        value = self._read("SELECT MAX(stored_us) FROM statements")[0][0]
        return None if value is None else int(value)
