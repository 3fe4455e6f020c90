"""Load a generated hospital (``lrs demo generate``) into the store and the warehouse.

The import kinds are loaded first (reference data and staff, so statements are enriched once,
as they arrive). Statements then go through the same path as ``POST /xapi/statements``
(validation, preparation, ``store_batch``) in large batches, parsed, validated, prepared and
flattened a few batches ahead in worker processes (:mod:`analytics.demo.pipeline`) while this
one stores, and each batch the store accepted is appended to the warehouse straight away,
from the rows flattened with it, inside one warehouse write: nothing is read back, parsed or
flattened twice. A batch whose ``seq`` numbers do not
follow on from the warehouse's watermark (another writer stored statements in between) is
caught up from the store instead, exactly as ``lrs analytics refresh`` would. A
``demo_marker`` row is written so the dashboards can show a "DEMO DATA" banner; the models
are run by the caller, as of the hospital's last day.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from analytics.demo.generate import TRUTH_FILE
from analytics.demo.pipeline import (
    API_VERSION,
    DEFAULT_WORKERS,
    Prepared,
    prepared_batches,
    settle,
)
from analytics.demo.tables import COLUMNS
from analytics.etl import append_flat, finish, load_batch, watermark
from analytics.gcpause import gc_paused
from analytics.imports.load import import_file
from analytics.warehouse import Connection, Warehouse
from statements.ingest import prepare_batch, store_batch
from statements.store.base import StatementRecord
from statements.validate import validate_statements

#: import kinds in a dependency-free order (reference data first reads best in the logs).
IMPORT_ORDER = tuple(COLUMNS)

#: statements per validation batch and store transaction.
BATCH_SIZE = 5000
#: processes that parse, validate, prepare and flatten while this one stores (one per core).
VALIDATION_WORKERS = DEFAULT_WORKERS

Progress = Callable[[int], None]
Stored = Callable[[list[StatementRecord], Prepared], None]


@dataclass
class LoadReport:
    """What ``load_demo`` did."""

    statements: int = 0
    inserted: int = 0
    imports: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    seed: int | None = None
    end: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return dict(self.__dict__)


def store_chunk(store: Any, chunk: list[dict[str, Any]], authority: dict[str, Any]) -> list[Any]:
    """Validate, prepare and store one batch as ``POST /xapi/statements`` does; the new records."""
    now_us = int(datetime.now(UTC).timestamp() * 1_000_000)
    valid = validate_statements(chunk, API_VERSION)
    records = prepare_batch(valid, authority=authority, api_version=API_VERSION, now_us=now_us)
    return store_batch(store, records)


def load_statements(
    store: Any,
    directory: Path,
    authority: dict[str, Any],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    stored: Stored | None = None,
    workers: int = VALIDATION_WORKERS,
    secret: bytes = b"",
) -> tuple[int, int]:
    """Validate, prepare and store every statement; return (read, inserted).

    ``stored`` receives each batch of records the store inserted (with their ``seq``) and the
    prepared batch they came from (its ``statements_all`` rows, flattened with ``secret``);
    ``workers`` is the number of worker processes (see :func:`prepared_batches`).
    """
    read = inserted = 0
    with gc_paused(
        collect=True
    ):  # unpickling batches is most of this process's work (see gc_paused)
        for prepared in prepared_batches(directory, batch_size, secret, authority, workers):
            fresh = store_batch(store, prepared.records)
            if stored is not None and fresh:
                stored(fresh, prepared)
            inserted += len(fresh)
            read += len(prepared.records)
            if progress is not None:
                progress(len(prepared.records))
    return read, inserted


class WarehouseAppender:
    """Appends just-stored records to ``statements_all`` while the watermark stays contiguous."""

    def __init__(self, store: Any, conn: Connection, secret: bytes) -> None:
        self.store, self.conn, self.secret = store, conn, secret
        self.start = self.last = watermark(conn)
        conn.execute("DELETE FROM statements_all WHERE seq > ?", [self.start])  # as refresh does
        self._catch_up()  # statements stored before this load and not refreshed yet

    def _append(self, records: Sequence[StatementRecord]) -> None:
        load_batch(self.conn, list(records), self.secret)
        self.last = records[-1].seq

    def _catch_up(self) -> None:
        for batch in self.store.iter_since(self.last, BATCH_SIZE):
            self._append(batch)

    def __call__(self, records: list[StatementRecord], prepared: Prepared | None = None) -> None:
        """Append ``records`` (just stored), or catch up from the store if others came between.

        With ``prepared`` (the batch the records came from) its flattened rows are appended
        instead of flattening the records again.
        """
        seqs = [r.seq for r in records]
        if seqs == list(range(self.last + 1, self.last + 1 + len(seqs))):
            if prepared is None:
                self._append(records)
            else:
                append_flat(self.conn, settle(prepared.flat, records), prepared.flat.actors)
                self.last = records[-1].seq
        else:  # someone else stored statements in between: read them in seq order
            self._catch_up()

    def finish(self) -> None:
        """Enrich the appended rows and move the watermark (the end of a refresh)."""
        self._catch_up()
        finish(self.conn, self.start, self.last)


def truth_of(directory: Path) -> dict[str, Any]:
    """The generator's ``truth.json``."""
    result: dict[str, Any] = json.loads((directory / TRUTH_FILE).read_text(encoding="utf-8"))
    return result


def load_imports(
    warehouse: Warehouse,
    directory: Path,
    secret: bytes,
    today: date,
    progress: Progress | None = None,
) -> LoadReport:
    """Import every ``<kind>.csv`` of the directory; rejected row counts per kind."""
    report = LoadReport()
    for kind in IMPORT_ORDER:
        path = directory / f"{kind}.csv"
        if path.exists():
            result = import_file(warehouse, kind, path.read_bytes(), "csv", secret, today=today)
            if result.refused:
                raise ValueError(f"{kind}.csv refused: {result.refused}")
            report.imports[kind] = result.loaded
            report.rejected[kind] = len(result.errors)
        if progress is not None:
            progress(1)
    return report


def mark_demo(conn: Connection, seed: int | None, end: date | None) -> None:
    """Write the one-row ``demo_marker`` table (generated_at, seed, end_date)."""
    conn.execute(
        "CREATE OR REPLACE TABLE demo_marker (generated_at TIMESTAMPTZ, seed BIGINT, end_date DATE)"
    )
    conn.execute("INSERT INTO demo_marker VALUES (?, ?, ?)", [datetime.now(UTC), seed, end])


def load_all_statements(
    store: Any,
    warehouse: Warehouse,
    directory: Path,
    secret: bytes,
    authority: dict[str, Any],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    refresh_progress: Progress | None = None,
    workers: int = VALIDATION_WORKERS,
) -> tuple[int, int]:
    """Every statement into the store and, batch by batch, the warehouse; then the marker.

    Returns (read, inserted). ``progress`` counts statements read and stored,
    ``refresh_progress`` statements appended to the warehouse.
    """
    truth = truth_of(directory)
    with warehouse.write() as conn:
        append = WarehouseAppender(store, conn, secret)

        def stored(records: list[Any], prepared: Prepared) -> None:
            append(records, prepared)
            if refresh_progress is not None:
                refresh_progress(len(records))

        counts = load_statements(
            store,
            directory,
            authority,
            batch_size=batch_size,
            progress=progress,
            stored=stored,
            workers=workers,
            secret=secret,
        )
        append.finish()
        mark_demo(conn, truth.get("seed"), date.fromisoformat(truth["window"]["end"]))
    return counts


def load_demo(
    store: Any,
    warehouse: Warehouse,
    directory: Path,
    secret: bytes,
    authority: dict[str, Any],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    refresh_progress: Progress | None = None,
    workers: int = VALIDATION_WORKERS,
) -> LoadReport:
    """Imports, then statements into the store and the warehouse, then the demo marker.

    ``progress`` counts statements read and stored and ``refresh_progress`` statements
    appended to the warehouse (for progress bars). The models are run by the caller.
    """
    truth = truth_of(directory)
    end = date.fromisoformat(truth["window"]["end"])
    report = load_imports(warehouse, directory, secret, end)
    report.statements, report.inserted = load_all_statements(
        store,
        warehouse,
        directory,
        secret,
        authority,
        batch_size=batch_size,
        progress=progress,
        refresh_progress=refresh_progress,
        workers=workers,
    )
    report.seed, report.end = truth.get("seed"), end.isoformat()
    return report
