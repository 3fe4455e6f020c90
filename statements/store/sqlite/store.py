"""Embedded SQLite backend: WAL, busy timeout, group-committed batches, indexed filters.

Statements are kept as their JSON text next to the columns queries use. Filter keys are
interned integers in ``key_rows (kid, seq, flags)`` — a clustered primary key, so a filtered
page is an index range scan in ``seq`` order — and, for the newest statements, in ``key_tail``
(see :mod:`statements.store.sqlite.schema`); a filtered query reads both sides in turn.
``seq`` is the insertion order; ``stored`` never decreases along it (enforced under the write
lock), so ``since``/``until`` become ``seq`` bounds. Writes: :mod:`statements.store.sqlite.write`;
checkpoints run in the background (:mod:`statements.store.sqlite.checkpoint`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from statements import jsonenc
from statements.errors import StoreUnavailable
from statements.query import StatementQuery
from statements.store.base import Attachment, JsonPage, Page, StatementRecord, seq_bounds
from statements.store.sqlite import keys as sqlite_keys
from statements.store.sqlite.audit import AUDIT_SCHEMA, SQLiteAudit
from statements.store.sqlite.checkpoint import Checkpointer
from statements.store.sqlite.credentials import SQLiteCredentials, upgrade_credentials
from statements.store.sqlite.erasure import SQLiteErasure
from statements.store.sqlite.people import PEOPLE_SCHEMA, SQLitePeople
from statements.store.sqlite.schedule import SCHEDULE_SCHEMA, SQLiteSchedule
from statements.store.sqlite.schema import SCHEMA
from statements.store.sqlite.write import SQLiteWrites, _Job

_COLS = "seq, id, stored_us, voided, ref_target, voids, authority_key, body"
READER_CACHE_MB = 8
#: One unparsed statement row of :meth:`SQLiteStore.iter_raw_since`.
RawRow = tuple[int, str, int, int, str]


def _record(row: sqlite3.Row | tuple[Any, ...]) -> StatementRecord:
    seq, sid, stored_us, voided, ref, voids, auth, body = row
    return StatementRecord(
        id=sid,
        body=jsonenc.loads(body),
        stored_us=stored_us,
        ref_target=ref,
        voids=voids,
        authority_key=auth,
        voided=bool(voided),
        seq=seq,
    )


class SQLiteStore(
    SQLiteWrites, SQLiteErasure, SQLiteCredentials, SQLiteAudit, SQLiteSchedule, SQLitePeople
):
    """The default store: one SQLite file, safe for several processes and threads.

    ``cache_mb`` sizes the page cache of the statement-writer connection (one per process);
    ``checkpoint_s`` and ``wal_limit_mb`` drive the background checkpointer; ``key_tail`` is
    how many statements' key rows wait in ``key_tail`` (tests make it tiny to exercise both
    sides of the split).
    """

    def __init__(
        self,
        path: str | Path,
        synchronous: str = "FULL",
        *,
        cache_mb: int = 64,
        checkpoint_s: float = 0.5,
        wal_limit_mb: int = 64,
        key_tail: int = sqlite_keys.TAIL_STATEMENTS,
    ) -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"unsupported SQLite synchronous mode: {synchronous}")
        self.path = str(path)
        self.synchronous = synchronous.upper()
        self.cache_mb = cache_mb
        self.wal_limit_mb = wal_limit_mb
        self.key_tail = key_tail
        self._local = threading.local()
        # One writer per process at a time: SQLite's busy handler is not fair, and threads
        # spinning on the file lock starve each other; a Python lock queues them instead.
        self._write_lock = threading.RLock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Job] = []
        self._writer_conn: tuple[int, sqlite3.Connection] | None = None
        self.checkpointer = (
            None
            if self.path == ":memory:"
            else Checkpointer(self.path, checkpoint_s, wal_limit_mb * 1024 * 1024 // 4096)
        )

    # -- connections -------------------------------------------------------------------------
    def _open(self, cache_mb: int, *, writer: bool = False) -> sqlite3.Connection:
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=not writer
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute(f"PRAGMA journal_size_limit={self.wal_limit_mb * 1024 * 1024}")
            conn.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
            if writer:  # savepoint journals in RAM, not a temp file per batch (docs/storage.md)
                conn.execute("PRAGMA temp_store=MEMORY")
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open the store: {exc}") from exc
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open(READER_CACHE_MB)
            self._local.conn = conn
        return conn

    def _writer(self) -> sqlite3.Connection:
        """The process's statement-writer connection (use only under ``_write_lock``)."""
        if self.path == ":memory:":
            return self._conn()  # every connection to :memory: is a database of its own
        if self._writer_conn is None or self._writer_conn[0] != os.getpid():
            self._writer_conn = (os.getpid(), self._open(self.cache_mb, writer=True))
        return self._writer_conn[1]

    def _drop_writer(self) -> None:
        """Close the writer after a driver error (the next batch reopens it)."""
        if self.path == ":memory:":
            return
        held, self._writer_conn = self._writer_conn, None
        if held is not None and held[0] == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                held[1].close()

    def _note_write(self) -> None:
        """Wake the background checkpointer after a commit on any connection."""
        if self.checkpointer is not None:
            self.checkpointer.wrote()

    def init(self) -> None:
        """Create tables and indexes, migrate older stores (idempotent)."""
        try:
            conn = self._conn()
            conn.executescript(SCHEMA + AUDIT_SCHEMA + SCHEDULE_SCHEMA + PEOPLE_SCHEMA)
            with self._write_lock:
                upgrade_credentials(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    sqlite_keys.migrate(conn)
                    conn.execute("COMMIT")
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
            self._note_write()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot initialise the store: {exc}") from exc

    def close(self) -> None:
        """Close this thread's connection and the writer's; the checkpointer finishes (one
        last checkpoint). The store reopens them on next use."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        with self._write_lock:
            self._drop_writer()
        if self.checkpointer is not None:
            self.checkpointer.stop()

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

    def query(self, query: StatementQuery) -> Page:
        """One page of non-voided matches, ordered by ``seq`` (= ``stored`` order)."""
        rows, limit, hi = self._page_rows(query, _COLS)
        records = [_record(r) for r in rows[:limit]]
        nxt = records[-1].seq if len(rows) > limit else None
        return Page(records=records, next_after=nxt, snapshot_seq=hi)

    def query_json(self, query: StatementQuery) -> JsonPage:
        """:meth:`query` with each statement as its stored JSON bytes, never parsed.

        A page of 100 spent most of its time parsing the bodies (and serialising them again
        for the response); ``GET /statements?format=exact`` splices these bytes instead.
        """
        rows, limit, hi = self._page_rows(query, "s.seq, s.stored_us, CAST(s.body AS BLOB)")
        page = rows[:limit]
        return JsonPage(
            bodies=[bytes(body) for _seq, _stored, body in page],
            last_stored_us=max((int(stored) for _seq, stored, _body in page), default=None),
            next_after=int(page[-1][0]) if len(rows) > limit else None,
            snapshot_seq=hi,
        )

    def _page_rows(self, query: StatementQuery, columns: str) -> tuple[list[Any], int, int | None]:
        """(up to ``limit + 1`` rows of ``columns``, ``limit``, snapshot seq) of a query.

        A filtered query reads the key rows in two parts: ``key_rows`` for the statements at or
        below the split and ``key_tail`` for those above it, in ``seq`` order (the older part
        first when ascending), inside one read transaction so both see the same split.
        """
        conn = self._conn()
        own = not conn.in_transaction
        try:
            if own:
                conn.execute("BEGIN")
            try:
                return self._page_rows_in(conn, query, columns)
            finally:
                if own and conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    def _page_rows_in(
        self, conn: sqlite3.Connection, query: StatementQuery, columns: str
    ) -> tuple[list[Any], int, int | None]:
        found = [sqlite_keys.filter_of(conn, k, v) for k, v in query.filters()]
        lo, hi = self._seq_bounds(query)
        limit = max(query.limit, 1)
        filters = [f for f in found if f is not None]
        if len(filters) < len(found):
            return [], limit, hi
        if not filters:
            sql, params = self._query_sql(query, filters, lo, hi, columns)
            return conn.execute(sql, [*params, limit + 1]).fetchall(), limit, hi
        split = sqlite_keys.split_seq(conn)
        parts = [
            (False, lo, split if hi is None else min(hi, split)),
            (True, split if lo is None else max(lo, split), hi),
        ]
        if not query.ascending:
            parts.reverse()
        rows: list[Any] = []
        for tail, part_lo, part_hi in parts:
            if part_lo is not None and part_hi is not None and part_hi <= part_lo:
                continue
            sql, params = self._query_sql(query, filters, part_lo, part_hi, columns, tail)
            rows += conn.execute(sql, [*params, limit + 1 - len(rows)]).fetchall()
            if len(rows) > limit:
                break
        return rows, limit, hi

    @staticmethod
    def _query_sql(
        query: StatementQuery,
        filters: list[sqlite_keys.KeyFilter],
        lo: int | None,
        hi: int | None,
        columns: str = _COLS,
        tail: bool = False,
    ) -> tuple[str, list[Any]]:
        """SQL and parameters (all but LIMIT) of a statement query over the posting tables of
        one side of the split (the tail when ``tail``): the first filter's postings drive it,
        the others are EXISTS probes."""
        where = ["s.voided = 0"]
        params: list[Any] = []
        source, order_col = "statements s", "s.seq"
        if filters:
            table, first, params = filters[0].driving(tail)
            source = f"{table} k JOIN statements s ON s.seq = k.seq"
            where[:0] = [first]
            order_col = "k.seq"
            for other in filters[1:]:
                sql, more = other.exists(tail)
                where.append(sql)
                params += more
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
        if columns == _COLS:
            columns = ", ".join(f"s.{c}" for c in _COLS.split(", "))
        sql = (
            f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)}"
            f" ORDER BY {order_col} {direction} LIMIT ?"
        )
        return sql, params

    def _seq_bounds(self, query: StatementQuery) -> tuple[int | None, int | None]:
        """Turn since/until/cursor/snapshot into (exclusive low, inclusive high) seq bounds."""
        return seq_bounds(
            query,
            lambda: int(self._read("SELECT COALESCE(MAX(seq), 0) FROM statements")[0][0]),
            self._last_seq_stored_by,
        )

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

    def iter_raw_since(self, after_seq: int, batch_size: int = 10_000) -> Iterator[list[RawRow]]:
        """:meth:`iter_since` unparsed: ``(seq, id, stored_us, voided, body)`` rows, ``voided``
        0 or 1 and ``body`` the stored JSON text.

        For bulk readers that parse the JSON themselves (the analytics refresh hands the text
        to DuckDB): no Python object is built per statement beyond the row tuple.
        """
        cursor = after_seq
        while True:
            rows: list[RawRow] = self._read(
                "SELECT seq, id, stored_us, voided <> 0, body FROM statements "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (cursor, batch_size),
            )
            if not rows:
                return
            cursor = rows[-1][0]
            yield rows

    def consistent_through_us(self) -> int | None:
        """``stored`` of the newest statement (None when empty)."""
        value = self._read("SELECT MAX(stored_us) FROM statements")[0][0]
        return None if value is None else int(value)
