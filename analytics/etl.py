"""The refresh: statements flow one way from the store into ``statements_all``.

The watermark is the store's ``seq`` of the last statement loaded, kept in ``etl_state`` inside
the same atomic write as the rows (so a failed refresh leaves both untouched and re-running is
idempotent). Statements are read in batches of ``batch_size`` (:func:`raw_batches`: the SQLite
store's JSON text unparsed, other stores through the storage contract's ``iter_since``),
flattened and appended as a pipeline: one thread reads batch N+2 while another flattens N+1
and the caller appends N (:func:`read_ahead`, :func:`_flattened`), so memory is bounded by
three raw batches and two flattened ones whatever the store holds. A voiding statement marks
its target voided whenever either arrives; a late arrival (old ``timestamp``, new ``stored``)
is just another new ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from analytics.flatten import Flattened, flatten, flatten_raw
from analytics.flatten.fast import PseudonymCache, raw_table, records_table
from analytics.gcpause import gc_paused
from analytics.warehouse import Connection, Warehouse
from statements.errors import Conflict, FieldError

if TYPE_CHECKING:
    import polars as pl
from statements.timefmt import from_us, to_us

T = TypeVar("T")

ENRICH_SQL = """
UPDATE statements_all AS s
SET person_key = r.person_key, department_id = r.department_id, role_code = r.role_code
FROM (
    SELECT s2.seq, m.person_key, h.department_id, h.role_code
    FROM statements_all AS s2
    JOIN (
        SELECT actor_key, min(person_key) AS person_key
        FROM identity.identity_map GROUP BY actor_key
    ) AS m USING (actor_key)
    LEFT JOIN staff_history AS h
        ON h.person_key = m.person_key
        AND (h.valid_from IS NULL OR h.valid_from <= CAST(s2."timestamp" AS DATE))
        AND (h.valid_to IS NULL OR CAST(s2."timestamp" AS DATE) < h.valid_to)
    WHERE s2.seq > $after
) AS r
WHERE s.seq = r.seq
"""


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh did.

    ``voided`` counts rows already in the warehouse that this refresh's voiding statements
    marked voided (a target the store had already flagged arrives with ``voided`` set).
    """

    loaded: int
    voided: int
    last_seq: int
    full: bool
    as_of: date | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready rendering."""
        return {
            "loaded": self.loaded,
            "voided": self.voided,
            "last_seq": self.last_seq,
            "full": self.full,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def watermark(conn: Connection) -> int:
    """The ``seq`` of the last statement loaded (0 when none)."""
    row = conn.execute("SELECT max(last_seq) FROM etl_state").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def refresh(
    store: Any,
    warehouse: Warehouse,
    secret: bytes,
    *,
    full: bool = False,
    as_of: date | None = None,
    batch_size: int = 50_000,
    wait: bool = True,
    progress: Callable[[int], None] | None = None,
) -> RefreshResult:
    """Load statements stored after the watermark (all of them with ``full``).

    ``as_of`` loads only statements stored up to the end of that day (UTC); the watermark then
    stops there, so a later refresh continues from it. When statements are waiting but every
    one was stored after that day (a backfill stored today with old timestamps), nothing could
    be loaded: :class:`Conflict` is raised and the warehouse is left untouched, rather than
    reporting success with nothing loaded (see :func:`as_of_refusal`).
    """
    limit_us = to_us(datetime.combine(as_of + timedelta(days=1), time(), UTC)) if as_of else None
    with warehouse.write(wait=wait) as conn, gc_paused():
        if full:
            conn.execute("DELETE FROM statements_all")
            conn.execute("DELETE FROM etl_state")
        start = watermark(conn)
        conn.execute("DELETE FROM statements_all WHERE seq > ?", [start])
        loaded, voided, last = 0, 0, start
        names: PseudonymCache = {}
        batches = read_ahead(raw_batches(store, start, batch_size))
        for batch, keep, flat in read_ahead(_flattened(batches, limit_us, secret, names)):
            if as_of is not None and loaded == 0 and not keep.num_rows and batch.num_rows:
                raise as_of_refusal(as_of, batch.column("stored")[0].as_py())
            if flat is not None:
                voided += append_flat(conn, flat.frame, flat.actors)
                loaded += keep.num_rows
                last = keep.column("seq")[-1].as_py()
                if progress is not None:
                    progress(keep.num_rows)
            if keep.num_rows < batch.num_rows:
                break
        finish(conn, start, last, as_of)
    return RefreshResult(loaded, voided, last, full, as_of)


def _flattened(
    batches: Iterator[pa.Table], limit_us: int | None, secret: bytes, names: PseudonymCache
) -> Iterator[tuple[pa.Table, pa.Table, Flattened | None]]:
    """Each batch, its statements stored before ``limit_us`` (all without one), and those
    flattened (``None`` when there are none); stops after the first batch that was cut short.

    The refresh runs this in a thread of its own (:func:`read_ahead`), so that flattening a
    batch (DuckDB parsing the bodies, Polars building the columns; both release the GIL)
    overlaps with appending the previous one to the warehouse.
    """
    for batch in batches:
        keep = (
            batch if limit_us is None else batch.filter(pc.less(batch.column("stored"), limit_us))
        )
        yield batch, keep, flatten_raw(keep, secret, names) if keep.num_rows else None
        if keep.num_rows < batch.num_rows:
            return


def raw_batches(store: Any, after_seq: int, batch_size: int) -> Iterator[pa.Table]:
    """The statements after ``after_seq`` as :data:`~analytics.flatten.fast.RAW_SCHEMA` tables.

    A store that can hand out its stored JSON text (``iter_raw_since``, the SQLite store) is
    read without parsing a body in Python; any other store through the storage contract's
    ``iter_since``, its records serialised again for DuckDB.
    """
    iter_raw = getattr(store, "iter_raw_since", None)
    if iter_raw is not None:
        for rows in iter_raw(after_seq, batch_size):
            yield raw_table(rows)
        return
    for records in store.iter_since(after_seq, batch_size):
        yield records_table(records)


def read_ahead(batches: Iterator[T]) -> Iterator[T]:
    """The items of ``batches``, the next one read in a thread while the caller uses this one.

    Reading a batch out of the store (Python building rows) overlaps with flattening and
    inserting the previous one (DuckDB and Polars, which release the GIL); one batch more is
    held. An error reading is raised here, at the batch it concerns.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="refresh-read") as pool:
        pending = pool.submit(next, batches, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, batches, None)
            yield item


def as_of_refusal(as_of: date, first_stored_us: int) -> Conflict:
    """The error of an ``--as-of`` refresh that would load nothing although statements wait."""
    first = from_us(first_stored_us).date().isoformat()
    message = (
        f"--as-of {as_of.isoformat()} loads statements by the day the LRS STORED them, and "
        f"none of the waiting statements was stored by then (the first was stored on {first}); "
        "nothing was loaded. To replay history as of a learning date, refresh without --as-of "
        f"and run `lrs analytics models --as-of {as_of.isoformat()}` (the models filter on "
        "each statement's timestamp)."
    )
    detail = f"no waiting statement was stored on or before {as_of.isoformat()}"
    return Conflict(message, [FieldError("as_of", "stored_after_as_of", detail)])


def finish(conn: Connection, start: int, last: int, as_of: date | None = None) -> None:
    """Enrich the rows loaded after ``start`` and move the watermark to ``last``.

    The end of every load into ``statements_all``: :func:`refresh`, and bulk loaders that
    append each batch with :func:`load_batch` right after storing it.
    """
    enrich(conn, after_seq=start)
    conn.execute("DELETE FROM etl_state")
    conn.execute(
        "INSERT INTO etl_state SELECT ?, (SELECT max(stored) FROM statements_all), ?, ?",
        [last, datetime.now(UTC), as_of],
    )


def load_batch(conn: Connection, records: list[Any], secret: bytes) -> int:
    """Append one batch, apply its voiding statements; return how many rows became voided."""
    flat = flatten(records, secret)
    return append_flat(conn, flat.frame, flat.actors)


def append_flat(conn: Connection, frame: pl.DataFrame, actors: dict[str, str]) -> int:
    """Append flattened rows and their new actor identities, apply their voiding statements.

    Returns how many rows already in the warehouse became voided.
    """
    conn.register("etl_batch", frame.to_arrow())
    try:
        conn.execute("INSERT INTO statements_all BY NAME SELECT * FROM etl_batch")
        row = conn.execute(
            "UPDATE statements_all SET voided = true WHERE NOT voided AND statement_id IN "
            "(SELECT object_id FROM etl_batch WHERE is_voiding)"
        ).fetchone()
    finally:
        conn.unregister("etl_batch")
    if actors:
        conn.execute(
            "INSERT INTO identity.actor_ifi SELECT k, v FROM "
            "(SELECT unnest(?) AS k, unnest(?) AS v) AS n "
            "WHERE k NOT IN (SELECT actor_key FROM identity.actor_ifi)",
            [list(actors), list(actors.values())],
        )
    return int(row[0]) if row else 0


def enrich(conn: Connection, *, after_seq: int = -1) -> None:
    """Set person_key, department_id and role_code (as of each statement) for rows after a seq.

    Run for new rows after a refresh and for every row after a staff import; rows whose actor
    matches no staff identity keep NULLs and show in :func:`unmatched`.
    """
    conn.execute(
        "UPDATE statements_all SET person_key = NULL, department_id = NULL, role_code = NULL "
        "WHERE seq > ?",
        [after_seq],
    )
    conn.execute(ENRICH_SQL, {"after": after_seq})


UNMATCHED_SQL = """
SELECT s.actor_key, a.ifi, count(*) AS statements,
       min(s."timestamp") AS first_seen, max(s."timestamp") AS last_seen
FROM statements_all AS s
LEFT JOIN (SELECT actor_key, min(ifi) AS ifi FROM identity.actor_ifi GROUP BY actor_key) AS a
    USING (actor_key)
WHERE s.person_key IS NULL AND s.actor_key IS NOT NULL AND NOT s.voided AND NOT s.is_voiding
GROUP BY ALL
ORDER BY statements DESC, s.actor_key
"""


def unmatched(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Actors of (non-voided) statements that match no staff identity, most statements first."""
    with warehouse.read(identity=True) as conn:
        has_identity = conn.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'identity'"
        ).fetchone()
        sql = UNMATCHED_SQL
        if not has_identity or not has_identity[0]:
            sql = sql.replace("identity.actor_ifi", "(SELECT '' AS actor_key, '' AS ifi)")
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
