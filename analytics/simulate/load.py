"""Load a simulated hospital directory into a store and a warehouse (ANALYTICS.md §10).

The same paths as real data: statements are validated (``validate_statements``), completed
by the LRS (``prepare_batch``) and stored (``store_batch``); every import CSV goes through the
import validators (``import_file``); then the ETL refreshes the warehouse. Where the directory
has ``arrivals.txt`` (one ISO time per statement line), each statement's LRS ``stored`` is its
simulated arrival rather than the wall clock, so late arrivals and ``--as-of`` replays behave
as in a live LRS. A ``demo_marker`` row marks the warehouse as synthetic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby, islice
from pathlib import Path
from typing import Any

from analytics.etl import refresh
from analytics.imports.load import import_file
from analytics.imports.spec import KINDS
from analytics.warehouse import Warehouse
from statements.ingest import prepare_batch, store_batch
from statements.store.base import StatementRecord
from statements.timefmt import to_us
from statements.validate import validate_statements

STATEMENTS_FILE = "statements.jsonl"
ARRIVALS_FILE = "arrivals.txt"
MANIFEST_FILE = "manifest.json"


@dataclass
class Loaded:
    """What :func:`load_simulated` did: statements read/inserted, rows loaded/rejected."""

    statements: int = 0
    inserted: int = 0
    imports: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    end: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return dict(self.__dict__)


def _lines(directory: Path) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """(arrival microseconds or None, statement) per line of ``statements.jsonl``."""
    arrivals_path = directory / ARRIVALS_FILE
    arrivals = arrivals_path.open(encoding="utf-8") if arrivals_path.exists() else None
    try:
        with (directory / STATEMENTS_FILE).open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                stamp = arrivals.readline().strip() if arrivals else ""
                arrival = to_us(datetime.fromisoformat(stamp)) if stamp else None
                yield arrival, json.loads(line)
    finally:
        if arrivals:
            arrivals.close()


def _prepare(
    chunk: list[tuple[int | None, dict[str, Any]]], authority: dict[str, Any]
) -> list[StatementRecord]:
    """Validate the chunk, then let the LRS complete each run of equal arrival times."""
    validated = validate_statements([s for _, s in chunk], "1.0.3")
    wall = int(datetime.now(UTC).timestamp() * 1_000_000)
    records: list[StatementRecord] = []
    stamped = zip([a for a, _ in chunk], validated, strict=True)
    for arrival, run in groupby(stamped, key=lambda pair: pair[0]):
        batch = [s for _, s in run]
        now_us = wall if arrival is None else arrival
        records += prepare_batch(batch, authority=authority, api_version="1.0.3", now_us=now_us)
    return records


def load_statements(
    store: Any, directory: Path, authority: dict[str, Any], *, batch_size: int = 2000
) -> tuple[int, int]:
    """Validate, prepare and store every statement in file order; return (read, inserted)."""
    read = inserted = 0
    lines = _lines(directory)
    while chunk := list(islice(lines, batch_size)):
        inserted += len(store_batch(store, _prepare(chunk, authority)))
        read += len(chunk)
    return read, inserted


def load_imports(warehouse: Warehouse, directory: Path, secret: bytes, today: date) -> Loaded:
    """Import every ``<kind>.csv`` present through the import validators."""
    report = Loaded()
    for kind in KINDS:
        path = directory / f"{kind}.csv"
        if not path.exists():
            continue
        result = import_file(warehouse, kind, path.read_bytes(), "csv", secret, today=today)
        if result.refused:
            raise ValueError(f"{kind}.csv refused: {result.refused}")
        report.imports[kind] = result.loaded
        report.rejected[kind] = len(result.errors)
    return report


def manifest_of(directory: Path) -> dict[str, Any]:
    """The simulator's ``manifest.json``."""
    doc: dict[str, Any] = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    return doc


def _mark(warehouse: Warehouse, seed: int | None, end: date) -> None:
    with warehouse.write() as conn:
        conn.execute(
            "CREATE OR REPLACE TABLE demo_marker "
            "(generated_at TIMESTAMPTZ, seed BIGINT, end_date DATE)"
        )
        conn.execute("INSERT INTO demo_marker VALUES (?, ?, ?)", [datetime.now(UTC), seed, end])


def load_simulated(
    store: Any,
    warehouse: Warehouse,
    directory: str | Path,
    secret: bytes,
    authority: dict[str, Any],
    *,
    batch_size: int = 2000,
) -> Loaded:
    """Statements, imports, ETL refresh and the synthetic-data marker (models not run)."""
    directory = Path(directory)
    manifest = manifest_of(directory)
    end = date.fromisoformat(manifest["window"]["end"])
    read, inserted = load_statements(store, directory, authority, batch_size=batch_size)
    report = load_imports(warehouse, directory, secret, end)
    report.statements, report.inserted, report.end = read, inserted, end.isoformat()
    refresh(store, warehouse, secret)
    _mark(warehouse, manifest.get("seed"), end)
    return report


STUDY_AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "https://lrs.invalid/simulate", "name": "simulate-loader"},
}


def build_harbor(
    root: str | Path,
    seed: int,
    *,
    staff: int | None = None,
    months: int | None = None,
    secret: bytes = b"simulate-pseudonym-key-32-bytes!",
) -> tuple[Warehouse, dict[str, Any]]:
    """Generate Harbor seed ``seed`` into ``root/data`` and load it into ``root/wh.duckdb``.

    The statements pass through a throw-away SQLite store (``root/lrs.db``, removed after the
    refresh). Returns the warehouse (models not run) and the manifest.
    """
    from analytics.simulate.harbor.generate import DEFAULT_MONTHS, DEFAULT_STAFF, generate
    from statements.store.sqlite import SQLiteStore, store_files

    root = Path(root)
    generate(
        root / "data", seed=seed, staff=staff or DEFAULT_STAFF, months=months or DEFAULT_MONTHS
    )
    store = SQLiteStore(root / "lrs.db", synchronous="NORMAL")
    store.init()
    warehouse = Warehouse(root / "wh.duckdb")
    try:
        load_simulated(store, warehouse, root / "data", secret, STUDY_AUTHORITY)
    finally:
        store.close()
    for path in store_files(root / "lrs.db"):
        path.unlink(missing_ok=True)
    return warehouse, manifest_of(root / "data")
