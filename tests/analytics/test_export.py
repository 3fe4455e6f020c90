"""Parquet export: statements partitioned by month, one file per other table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from analytics.etl import refresh
from analytics.export import export_parquet
from analytics.warehouse import Warehouse
from tests.analytics.helpers import SECRET, rec, stmt, void


def test_export_reads_back_with_duckdb(store: Any, tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    store.insert(
        [
            rec(stmt(1, timestamp="2025-01-15T00:00:00Z")),
            rec(stmt(2, timestamp="2025-02-15T00:00:00Z")),
            rec(stmt(3, timestamp="2025-02-16T00:00:00Z")),
        ],
        [],
    )
    store.insert([rec(void(4, target=3), at_us=5)], [])
    refresh(store, wh, SECRET)
    out = tmp_path / "export"
    written = export_parquet(wh, out)
    assert "statements/" in written and "category_competency.parquet" in written
    assert sorted(p.name for p in (out / "statements").iterdir()) == [
        "month=2025-01",
        "month=2025-02",
    ]
    con = duckdb.connect()
    got = con.execute(
        f"SELECT month, count(*) FROM read_parquet('{out}/statements/*/*.parquet', hive_partitioning=true) GROUP BY month ORDER BY month"
    ).fetchall()
    assert got == [("2025-01", 1), ("2025-02", 1)]
    assert not (out / "statements_all.parquet").exists()
    # The crosswalk belongs to the hospital: a new warehouse holds none until one is imported.
    assert (
        con.execute(f"SELECT count(*) FROM '{out}/category_competency.parquet'").fetchone()[0] == 0
    )
