"""Load a generated hospital (``lrs demo generate``) into the store and the warehouse.

Statements go through the same path as ``POST /xapi/statements`` (validation, preparation,
``store_batch``); then every import kind is loaded (the order does not matter for correctness,
ANALYTICS.md §2), the warehouse is refreshed, a ``demo_marker`` row is written so the
dashboards can show a "DEMO DATA" banner, and the models run as of the hospital's last day.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from analytics.demo.generate import TRUTH_FILE, iter_statements
from analytics.demo.tables import COLUMNS
from analytics.etl import refresh
from analytics.imports.load import import_file
from analytics.warehouse import Warehouse
from statements.ingest import prepare_batch, store_batch
from statements.validate import validate_statements

#: import kinds in a dependency-free order (reference data first reads best in the logs).
IMPORT_ORDER = tuple(COLUMNS)


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


def _batches(directory: Path, size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter_statements(directory)
    while chunk := list(islice(it, size)):
        yield chunk


def load_statements(
    store: Any,
    directory: Path,
    authority: dict[str, Any],
    *,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Validate, prepare and store every statement; return (read, inserted)."""
    read = inserted = 0
    for chunk in _batches(directory, batch_size):
        batch = validate_statements(chunk, "1.0.3")
        now_us = int(datetime.now(UTC).timestamp() * 1_000_000)
        records = prepare_batch(batch, authority=authority, api_version="1.0.3", now_us=now_us)
        inserted += len(store_batch(store, records))
        read += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return read, inserted


def truth_of(directory: Path) -> dict[str, Any]:
    """The generator's ``truth.json``."""
    result: dict[str, Any] = json.loads((directory / TRUTH_FILE).read_text(encoding="utf-8"))
    return result


def load_imports(warehouse: Warehouse, directory: Path, secret: bytes, today: date) -> LoadReport:
    """Import every ``<kind>.csv`` of the directory; rejected row counts per kind."""
    report = LoadReport()
    for kind in IMPORT_ORDER:
        path = directory / f"{kind}.csv"
        if not path.exists():
            continue
        result = import_file(warehouse, kind, path.read_bytes(), "csv", secret, today=today)
        if result.refused:
            raise ValueError(f"{kind}.csv refused: {result.refused}")
        report.imports[kind] = result.loaded
        report.rejected[kind] = len(result.errors)
    return report


def mark_demo(warehouse: Warehouse, seed: int | None, end: date | None) -> None:
    """Write the one-row ``demo_marker`` table (generated_at, seed, end_date)."""
    with warehouse.write() as conn:
        conn.execute(
            "CREATE OR REPLACE TABLE demo_marker "
            "(generated_at TIMESTAMPTZ, seed BIGINT, end_date DATE)"
        )
        conn.execute("INSERT INTO demo_marker VALUES (?, ?, ?)", [datetime.now(UTC), seed, end])


def load_demo(
    store: Any,
    warehouse: Warehouse,
    directory: Path,
    secret: bytes,
    authority: dict[str, Any],
    *,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    refresh_progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Statements, imports, refresh and demo marker (the models are run by the caller).

    ``progress`` counts statements stored, ``refresh_progress`` statements loaded into the
    warehouse (for progress bars).
    """
    truth = truth_of(directory)
    end = date.fromisoformat(truth["window"]["end"])
    read, inserted = load_statements(
        store, directory, authority, batch_size=batch_size, progress=progress
    )
    report = load_imports(warehouse, directory, secret, end)
    report.statements, report.inserted = read, inserted
    report.seed, report.end = truth.get("seed"), end.isoformat()
    refresh(store, warehouse, secret, progress=refresh_progress)
    mark_demo(warehouse, report.seed, end)
    return report
