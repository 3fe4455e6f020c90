"""Incremental refresh on every backend: late arrivals, voiding, idempotency, --full, --as-of."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analytics.etl import refresh, unmatched
from analytics.imports.load import import_file
from analytics.pseudonym import actor_key, person_key
from analytics.warehouse import Warehouse, WarehouseBusy, WarehouseMissing
from statements.errors import Conflict
from tests.analytics.helpers import DAY_US, SECRET, rec, sid, stmt, void


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh" / "warehouse.duckdb")


def rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with wh.read() as conn:
        return conn.execute(sql).fetchall()


def test_incremental_refresh_is_idempotent(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(n), at_us=n) for n in range(1, 6)], [])
    first = refresh(store, wh, SECRET, batch_size=2)
    assert (first.loaded, first.last_seq) == (5, 5)
    again = refresh(store, wh, SECRET, batch_size=2)
    assert again.loaded == 0
    store.insert([rec(stmt(n), at_us=n) for n in range(6, 9)], [])
    assert refresh(store, wh, SECRET, batch_size=2).loaded == 3
    assert rows(wh, "SELECT count(*), count(DISTINCT statement_id) FROM statements_all") == [(8, 8)]
    assert rows(wh, "SELECT last_seq FROM etl_state") == [(8,)]


def test_late_arrival_is_loaded_with_its_old_timestamp(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1), at_us=10 * DAY_US)], [])
    refresh(store, wh, SECRET)
    store.insert([rec(stmt(2, timestamp="2025-01-01T00:00:00Z"), at_us=20 * DAY_US)], [])
    assert refresh(store, wh, SECRET).loaded == 1
    got = rows(
        wh, f"SELECT CAST(\"timestamp\" AS DATE) FROM statements WHERE statement_id = '{sid(2)}'"
    )
    assert got == [(date(2025, 1, 1),)]


def test_voiding_after_target_was_loaded(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1)), rec(stmt(2))], [])
    refresh(store, wh, SECRET)
    store.insert([rec(void(3, target=1), at_us=1000)], [])
    result = refresh(store, wh, SECRET)
    assert result.voided == 1
    assert rows(wh, "SELECT statement_id FROM statements") == [(sid(2),)]
    assert rows(wh, "SELECT statement_id, voided, is_voiding FROM statements_all ORDER BY seq") == [
        (sid(1), True, False),
        (sid(2), False, False),
        (sid(3), False, True),
    ]


def test_voiding_before_its_target_arrives(store: Any, wh: Warehouse) -> None:
    store.insert([rec(void(3, target=1))], [])
    refresh(store, wh, SECRET)
    store.insert([rec(stmt(1), at_us=1000)], [])
    refresh(store, wh, SECRET)
    assert rows(wh, "SELECT count(*) FROM statements") == [(0,)]
    assert rows(wh, f"SELECT voided FROM statements_all WHERE statement_id = '{sid(1)}'") == [
        (True,)
    ]


def test_voiding_in_the_same_batch(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1))], [])
    store.insert([rec(void(2, target=1), at_us=5)], [])
    refresh(store, wh, SECRET, batch_size=10)
    assert rows(wh, "SELECT count(*) FROM statements") == [(0,)]


def test_full_rebuild_and_as_of(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(n), at_us=n * DAY_US) for n in range(1, 5)], [])
    bounded = refresh(store, wh, SECRET, as_of=date(2026, 1, 3))
    assert bounded.loaded == 2  # stored on Jan 2 and Jan 3
    assert refresh(store, wh, SECRET).loaded == 2  # continues from the watermark
    full = refresh(store, wh, SECRET, full=True)
    assert (full.loaded, full.full) == (4, True)
    assert rows(wh, "SELECT count(*) FROM statements_all") == [(4,)]


def test_staff_match_department_as_of_statement_and_unmatched(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1, timestamp="2025-03-01T00:00:00Z")), rec(stmt(2, who="zed"))], [])
    refresh(store, wh, SECRET)
    roster = b"person_id,department_id,role_code,hire_date,mbox\np1,icu,rn,2020-01-01,mailto:ann@example.org\n"
    import_file(wh, "staff", roster, "csv", SECRET, today=date(2025, 1, 1))
    moved = roster.replace(b"icu", b"ed")
    import_file(wh, "staff", moved, "csv", SECRET, today=date(2025, 6, 1))
    store.insert([rec(stmt(3, timestamp="2025-07-01T00:00:00Z"), at_us=1000)], [])
    refresh(store, wh, SECRET)
    got = rows(
        wh,
        "SELECT statement_id, person_key, department_id, role_code FROM statements_all ORDER BY seq",
    )
    pk = person_key(SECRET, "p1")
    assert got == [(sid(1), pk, "icu", "rn"), (sid(2), None, None, None), (sid(3), pk, "ed", "rn")]
    missing = unmatched(wh)
    assert [(m["actor_key"], m["ifi"], m["statements"]) for m in missing] == [
        (actor_key(SECRET, "mbox:mailto:zed@example.org"), "mbox:mailto:zed@example.org", 1)
    ]


def test_warehouse_never_holds_raw_identities(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1))], [])
    refresh(store, wh, SECRET)
    roster = b"person_id,department_id,role_code,hire_date,mbox\nP-77,icu,rn,2020-01-01,mailto:ann@example.org\n"
    import_file(wh, "staff", roster, "csv", SECRET)
    raw = wh.path.read_bytes()
    assert b"ann@example.org" not in raw and b"P-77" not in raw
    assert b"ann@example.org" in wh.identity_path.read_bytes()
    with wh.read(identity=True) as conn:
        got = conn.execute("SELECT DISTINCT person_id, mbox FROM identity.identity_map").fetchall()
        n = conn.execute("SELECT count(*) FROM identity.identity_map").fetchone()
    assert got == [("P-77", "mailto:ann@example.org")]
    assert n == (2,)  # one row per IFI: the mbox and its mbox_sha1sum


def test_failed_write_leaves_published_warehouse_untouched(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1))], [])
    refresh(store, wh, SECRET)
    with pytest.raises(RuntimeError), wh.write() as conn:
        conn.execute("DELETE FROM statements_all")
        raise RuntimeError("crash mid-refresh")
    assert rows(wh, "SELECT count(*) FROM statements_all") == [(1,)]
    assert [p.name for p in wh.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_open_reader_keeps_its_snapshot_across_a_swap(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1))], [])
    refresh(store, wh, SECRET)
    with wh.read() as old:
        store.insert([rec(stmt(2), at_us=5)], [])
        refresh(store, wh, SECRET)
        assert old.execute("SELECT count(*) FROM statements_all").fetchone() == (1,)
    assert rows(wh, "SELECT count(*) FROM statements_all") == [(2,)]


def test_second_writer_is_refused_when_not_waiting(store: Any, wh: Warehouse) -> None:
    with wh.write(), pytest.raises(WarehouseBusy):
        refresh(store, wh, SECRET, wait=False)


def test_reading_before_any_build_is_a_clear_error(wh: Warehouse) -> None:
    with pytest.raises(WarehouseMissing, match="lrs analytics refresh"), wh.read():
        pass


def test_as_of_before_every_stored_statement_is_refused(store: Any, wh: Warehouse) -> None:
    # A backfill: old learning timestamps, all stored on Jan 10. --as-of Jan 3 cannot load any.
    store.insert(
        [rec(stmt(n, timestamp="2025-01-01T00:00:00Z"), at_us=10 * DAY_US) for n in (1, 2)], []
    )
    with pytest.raises(Conflict) as err:
        refresh(store, wh, SECRET, as_of=date(2026, 1, 3))
    assert "STORED" in err.value.message and "lrs analytics models --as-of 2026-01-03" in (
        err.value.message
    )
    assert err.value.errors[0].path == "as_of"
    assert not wh.path.exists() or rows(wh, "SELECT count(*) FROM etl_state") == [(0,)]
    assert refresh(store, wh, SECRET).loaded == 2  # nothing was consumed by the refusal


def test_as_of_with_nothing_waiting_is_not_an_error(store: Any, wh: Warehouse) -> None:
    store.insert([rec(stmt(1), at_us=DAY_US)], [])
    assert refresh(store, wh, SECRET).loaded == 1
    assert refresh(store, wh, SECRET, as_of=date(2026, 1, 1)).loaded == 0
