"""The bulk loader fills the warehouse from the records it just stored, exactly as a refresh.

The direct path must give the same ``statements_all`` (voiding included) as storing first and
refreshing after, and must fall back to reading the store when another writer's statements
land between two of its batches (the watermark never skips a ``seq``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from analytics.demo.load import (
    WarehouseAppender,
    load_all_statements,
    load_statements,
    store_chunk,
)
from analytics.etl import refresh, watermark
from analytics.warehouse import Warehouse
from statements.errors import StatementValidationError
from statements.store import open_store
from tests.factories import make_agent, make_statement

SECRET = b"k" * 32
AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "loader"}}
COMPARED = "SELECT * EXCLUDE (stored, seq) FROM statements_all ORDER BY statement_id"


def _source(root: Path, count: int) -> Path:
    """A generated-hospital directory: ``count`` statements, every seventh voided later."""
    ids = [str(uuid.UUID(int=n + 1)) for n in range(count)]
    rows = [
        make_statement(
            id=sid,
            actor=make_agent(mbox=f"mailto:p{n % 5}@example.org"),
            timestamp=f"2025-0{1 + n % 6}-1{n % 9}T10:00:00Z",
        )
        for n, sid in enumerate(ids)
    ]
    rows += [
        make_statement(
            id=str(uuid.UUID(int=10_000 + n)),
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": ids[n]},
            timestamp="2025-06-30T12:00:00Z",
        )
        for n in range(0, count, 7)
    ]
    root.mkdir()
    (root / "statements.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    truth = {"seed": 5, "window": {"end": "2025-06-30"}, "counts": {"statements": len(rows)}}
    (root / "truth.json").write_text(json.dumps(truth))
    return root


def _table(wh: Warehouse) -> list[tuple[Any, ...]]:
    with wh.read() as conn:
        return conn.execute(COMPARED).fetchall()


@pytest.mark.parametrize("workers", [0, 2])
def test_direct_load_equals_store_then_refresh(tmp_path: Path, workers: int) -> None:
    source = _source(tmp_path / "h", 60)
    direct_store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    direct_store.init()
    direct = Warehouse(tmp_path / "a" / "wh.duckdb")
    seen: list[int] = []
    counts = load_all_statements(
        direct_store,
        direct,
        source,
        SECRET,
        AUTH,
        batch_size=25,
        refresh_progress=seen.append,
        workers=workers,
    )
    assert counts == (69, 69) and sum(seen) == 69
    plain_store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    plain_store.init()
    load_statements(plain_store, source, AUTH, batch_size=25, workers=0)
    plain = Warehouse(tmp_path / "b" / "wh.duckdb")
    refresh(plain_store, plain, SECRET)
    rows = _table(direct)
    assert len(rows) == 69 and rows == _table(plain)
    with direct.read() as conn:
        assert conn.execute("SELECT count(*) FROM statements_all WHERE voided").fetchone() == (9,)
        assert watermark(conn) == 69
        assert conn.execute("SELECT seed FROM demo_marker").fetchone() == (5,)
    # a refresh afterwards finds nothing new: the watermark moved with the direct load
    assert refresh(direct_store, direct, SECRET).loaded == 0


def test_statements_of_another_writer_between_batches_are_caught_up(tmp_path: Path) -> None:
    source = _source(tmp_path / "h", 30)
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    store.init()
    wh = Warehouse(tmp_path / "wh.duckdb")
    other = [make_statement(id=str(uuid.UUID(int=90_000 + n))) for n in range(4)]
    with wh.write() as conn:
        append = WarehouseAppender(store, conn, SECRET)
        batches: list[list[int]] = []

        def stored(records: list[Any], prepared: Any) -> None:
            batches.append([r.seq for r in records])
            append(records, prepared)
            if len(batches) == 1:  # another writer stores 4 statements between two batches
                store_chunk(store, other, AUTH)

        load_statements(store, source, AUTH, batch_size=10, stored=stored, workers=0, secret=SECRET)
        append.finish()
    assert batches[1][0] == 15  # the loader's second batch did not follow on from seq 10
    with wh.read() as conn:
        counted = conn.execute("SELECT count(*), count(DISTINCT seq), max(seq) FROM statements_all")
        assert counted.fetchone() == (39, 39, 39)
        assert watermark(conn) == 39


@pytest.mark.parametrize("workers", [0, 1])
def test_a_bad_statement_stops_the_load_with_its_path(tmp_path: Path, workers: int) -> None:
    source = _source(tmp_path / "h", 12)
    with (source / "statements.jsonl").open("a") as handle:
        handle.write(json.dumps(make_statement(verb={"id": "not an iri"})) + "\n")
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    store.init()
    with pytest.raises(StatementValidationError) as caught:
        load_statements(store, source, AUTH, batch_size=10, workers=workers)
    assert [e.path for e in caught.value.errors] == ["$[4].verb.id"]


def test_a_resumed_load_appends_only_what_it_stored(tmp_path: Path) -> None:
    """Statements stored by an interrupted run are skipped, and each row keeps its own seq."""
    source = _source(tmp_path / "h", 40)
    first = [
        json.loads(line) for line in (source / "statements.jsonl").read_text().splitlines()[:10]
    ]
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    store.init()
    store_chunk(store, first[3:], AUTH)  # the interrupted run stored these, out of order
    wh = Warehouse(tmp_path / "wh.duckdb")
    counts = load_all_statements(store, wh, source, SECRET, AUTH, batch_size=25, workers=0)
    assert counts == (46, 39)
    plain_store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    plain_store.init()
    store_chunk(plain_store, first[3:], AUTH)
    load_statements(plain_store, source, AUTH, batch_size=25, workers=0)
    plain = Warehouse(tmp_path / "b" / "wh.duckdb")
    refresh(plain_store, plain, SECRET)
    assert _table(wh) == _table(plain)
    with wh.read() as conn:
        pairs = conn.execute("SELECT statement_id, seq FROM statements_all ORDER BY seq").fetchall()
    stored = {r.id: r.seq for r in store.get_by_ids([sid for sid, _ in pairs]).values()}
    assert pairs == sorted(stored.items(), key=lambda kv: kv[1])
