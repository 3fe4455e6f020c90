"""The refresh's raw path builds the warehouse the per-statement reference builds.

The SQLite store hands the refresh its stored JSON text (``iter_raw_since``), which DuckDB
parses; the reference parses each body in Python and flattens it statement by statement
(``flatten_python``), which is what every refresh did before the raw path. Both warehouses are
compared by a hash of their tables.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from analytics import etl
from analytics.flatten import Flattened, flatten_python, records_of, timestamp_us
from analytics.flatten.fast import PseudonymCache, _timestamps, raw_table
from analytics.warehouse import Warehouse
from bench.analytics_refresh import synthetic
from statements.prepare import prepare
from statements.store.base import StatementRecord
from statements.store.sqlite import SQLiteStore
from statements.validate import validate_statements
from tests.analytics.helpers import SECRET
from tests.statements.xapi_gen import valid_statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "t"}}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _bodies(count: int, seed: int) -> list[dict[str, Any]]:
    """Generated statements of every shape, cmi5-like ones, and some voiding statements."""
    rng = random.Random(seed)
    drop = ("id", "stored", "authority")  # the generator repeats ids; the LRS sets the rest
    bodies: list[dict[str, Any]] = []
    for n in range(count):
        if n % 3 == 0:
            body = {k: v for k, v in valid_statement(rng, n % 2 == 0).items() if k not in drop}
            if body["verb"]["id"] == VOIDED:  # _fill places the voiding statements
                body["verb"] = {"id": "http://example.org/verbs/did"}
        else:
            body = {k: v for k, v in synthetic(n, rng).items() if k != "id"}
        bodies.append(body)
    return list(validate_statements(bodies, "2.0.0"))


def _fill(store: SQLiteStore, bodies: list[dict[str, Any]], first: int) -> None:
    """Store ``bodies`` with ids from ``first``; every 23rd statement voids an earlier one
    (30 statements back, so it may void one an earlier refresh loaded)."""
    batch: list[StatementRecord] = []
    for offset, body in enumerate(bodies):
        n = first + offset
        if n % 23 == 22:
            body = {
                "actor": AUTHORITY,
                "verb": {"id": VOIDED},
                "object": {
                    "objectType": "StatementRef",
                    "id": _sid(n - (30 if n > 30 else 11)).upper(),
                },
            }
        batch.append(
            prepare(
                body,
                authority=AUTHORITY,
                api_version="2.0.0",
                now_us=10**15 + n,
                statement_id=_sid(n),
            )
        )
        if len(batch) == 50:
            store.insert(batch, [])
            batch = []
    if batch:
        store.insert(batch, [])


def _sid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


def _store(path: Path, count: int, seed: int) -> SQLiteStore:
    store = SQLiteStore(path / "lrs.db")
    store.init()
    _fill(store, _bodies(count, seed), 0)
    return store


def _hash(warehouse: Warehouse) -> tuple[Any, ...]:
    """Row count and MD5 of every row of ``statements_all`` and ``identity.actor_ifi``."""
    with warehouse.read(identity=True) as conn:
        row = conn.execute(
            "SELECT count(*), md5(string_agg(CAST(s AS VARCHAR), chr(10) ORDER BY seq)), "
            "count(*) FILTER (WHERE voided) FROM statements_all AS s"
        ).fetchone()
        ifis = conn.execute(
            "SELECT count(*), md5(string_agg(actor_key || '=' || ifi, chr(10) "
            "ORDER BY actor_key, ifi)) FROM identity.actor_ifi"
        ).fetchone()
    assert row is not None and ifis is not None
    return (*row, *ifis)


class ParsedOnly:
    """A store offering only the storage contract's ``iter_since`` (parsed records)."""

    def __init__(self, inner: SQLiteStore) -> None:
        self.inner = inner

    def iter_since(self, after: int, batch_size: int) -> Iterator[list[StatementRecord]]:
        return self.inner.iter_since(after, batch_size)


def _per_statement(raw: pa.Table, secret: bytes, cache: PseudonymCache | None = None) -> Flattened:
    return flatten_python(records_of(raw), secret)


def test_refresh_builds_the_warehouse_the_per_statement_reference_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path, 900, seed=3)
    raw = Warehouse(tmp_path / "raw" / "warehouse.duckdb")
    etl.refresh(store, raw, SECRET, batch_size=97)
    monkeypatch.setattr(etl, "flatten_raw", _per_statement)
    reference = Warehouse(tmp_path / "reference" / "warehouse.duckdb")
    etl.refresh(ParsedOnly(store), reference, SECRET, batch_size=97)
    got, want = _hash(raw), _hash(reference)
    assert got == want
    assert got[0] == 900 and got[2] > 0  # every statement, and some of them voided


def test_incremental_refreshes_build_what_one_full_refresh_builds(tmp_path: Path) -> None:
    store = _store(tmp_path, 400, seed=4)
    step = Warehouse(tmp_path / "step" / "warehouse.duckdb")
    assert etl.refresh(store, step, SECRET, batch_size=64).loaded == 400
    _fill(store, _bodies(300, seed=5), 400)  # voids some statements already loaded
    again = etl.refresh(store, step, SECRET, batch_size=64)
    assert (again.loaded, again.last_seq) == (300, 700)
    assert again.voided > 0
    full = Warehouse(tmp_path / "full" / "warehouse.duckdb")
    etl.refresh(store, full, SECRET, full=True, batch_size=1000)
    assert _hash(step) == _hash(full)


def test_raw_rows_are_the_stored_records(tmp_path: Path) -> None:
    store = _store(tmp_path, 120, seed=6)
    raw = pa.concat_tables(raw_table(rows) for rows in store.iter_raw_since(5, 50))
    parsed = [r for batch in store.iter_since(5, 50) for r in batch]
    assert [(r.id, r.seq, r.stored_us, r.voided, r.body) for r in records_of(raw)] == [
        (r.id, r.seq, r.stored_us, r.voided, r.body) for r in parsed
    ]
    assert raw.num_rows == 115 and any(r.voided for r in parsed)


TRICKY = [
    "2025-06-01T10:00:00.000Z",
    "2025-06-01T10:00:00Z",
    "2025-06-01T10:00:00.5Z",
    "2025-06-01T10:00:00.123456+05:30",
    "2025-06-01T10:00:00-00:00",
    "2025-06-01T10:00:00.000+23:59",
    "2025-02-30T10:00:00Z",
    "2024-02-29T23:59:59.999999-12:00",
    "2025-06-01T24:00:00Z",
    "2016-12-31T23:59:60Z",
    "2025-06-01T10:00:00.1234567Z",
    "2025-06-01 10:00:00Z",
    "2025-06-01T10:00:00",
    "2025-06-01T10:00:00+0530",
    "2025-06-01T10:00Z",
    "20250601T100000Z",
    "0999-06-01T10:00:00Z",
    "garbage",
    "",
    None,
]


def test_timestamps_are_parsed_as_the_per_value_rule_parses_them() -> None:
    rng = random.Random(8)
    values = list(TRICKY)
    for _ in range(3000):
        zone = rng.choice(["Z", "+00:00", "-05:00", "+14:00", "+05:45", ""])
        fraction = rng.choice(["", "." + "".join(rng.choices("0123456789", k=rng.randint(1, 9)))])
        values.append(
            f"{rng.randint(1000, 2999):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}"
            f"T{rng.randint(0, 24):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 60):02d}"
            f"{fraction}{zone}"
        )
    got = _timestamps(pl.Series(values, dtype=pl.String), timestamp_us).to_list()
    assert got == [timestamp_us(value) for value in values]


def test_flattening_overlaps_appending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches are flattened in a thread of their own, in order, while the caller appends the
    previous one; the warehouse is the one a sequential refresh builds."""
    store = _store(tmp_path, 300, seed=6)
    threads: dict[str, set[int]] = {"flatten": set(), "append": set()}
    order: list[int] = []
    real_flatten, real_append = etl.flatten_raw, etl.append_flat

    def flatten(raw: pa.Table, secret: bytes, cache: PseudonymCache | None = None) -> Flattened:
        threads["flatten"].add(threading.get_ident())
        order.append(raw.column("seq")[0].as_py())
        return real_flatten(raw, secret, cache)

    def append(conn: Any, frame: pl.DataFrame, actors: Any) -> int:
        threads["append"].add(threading.get_ident())
        return real_append(conn, frame, actors)

    monkeypatch.setattr(etl, "flatten_raw", flatten)
    monkeypatch.setattr(etl, "append_flat", append)
    piped = Warehouse(tmp_path / "piped" / "warehouse.duckdb")
    assert etl.refresh(store, piped, SECRET, batch_size=40).loaded == 300
    assert threads["append"] == {threading.get_ident()}
    assert threads["flatten"] and not threads["flatten"] & threads["append"]
    assert order == sorted(order) and len(order) == 8
    monkeypatch.setattr(etl, "flatten_raw", real_flatten)
    one = Warehouse(tmp_path / "one" / "warehouse.duckdb")
    etl.refresh(store, one, SECRET, batch_size=1000)
    assert _hash(piped) == _hash(one)
