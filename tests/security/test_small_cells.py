"""Small-cell suppression: incident counts from 1 to 10 never reach a dashboard or an export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from analytics.export import export_parquet
from analytics.suppression import MIN_CELL, suppress, suppressed_select
from analytics.warehouse import Warehouse
from dashboards.data import WarehouseSource
from dashboards.filters import Filters
from dashboards.views.safety import safety_page
from tests.dashboards.fixture_warehouse import build


def test_suppress_nulls_small_counts_and_what_derives_from_them() -> None:
    frame = pl.DataFrame(
        {"dept": ["a", "b", "c", "d"], "harm_events": [0, 5, 10, 11], "ratio": [1.0, 2.0, 3.0, 4.0]}
    )
    out = suppress(frame, ["harm_events"], ["ratio"])
    assert out["harm_events"].to_list() == [0, None, None, 11]
    assert out["ratio"].to_list() == [1.0, None, None, 4.0]
    assert MIN_CELL == 11
    assert suppress(frame.head(0), ["harm_events"]).height == 0


def test_safety_dashboard_shows_no_small_incident_counts(tmp_path: Path) -> None:
    planted = build(tmp_path / "warehouse.duckdb")
    with WarehouseSource(planted.path).reader() as r:
        raw = r.frame("SELECT department_id, sum(harm_events) AS h FROM incident_rates GROUP BY 1")
        page = safety_page(r, Filters())
    assert raw.height  # the fixture has incident rates to suppress
    checked = 0
    for panel in page.panels:
        table = panel.table
        if table is None:
            continue
        for header in ("Harm events", "Near misses"):
            if header not in table.headers:
                continue
            col = table.headers.index(header)
            for row in table.rows:
                checked += 1
                assert row[col] == "—" or int(row[col]) == 0 or int(row[col]) >= MIN_CELL, row
    assert checked


def test_safety_dashboard_suppresses_a_planted_small_count(tmp_path: Path) -> None:
    import duckdb

    planted = build(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(planted.path)) as conn:
        conn.execute("UPDATE incident_rates SET harm_events = 0, near_misses = 0")
        conn.execute(
            "UPDATE incident_rates SET harm_events = 3, near_misses = 4 WHERE department_id = ? "
            "AND month = (SELECT max(month) FROM incident_rates)",
            [planted.departments[0]],
        )
    with WarehouseSource(planted.path).reader() as r:
        page = safety_page(r, Filters())
    cells = [cell for p in page.panels if p.table for row in p.table.rows for cell in row]
    assert "3" not in cells and "4" not in cells
    assert "—" in cells


def test_exports_suppress_aggregates_and_leave_out_incident_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh" / "warehouse.duckdb")
    with wh.write() as conn:
        conn.execute(
            "CREATE TABLE incident_rates (department_id VARCHAR, month DATE, harm_events BIGINT, "
            "near_misses BIGINT, patient_days DOUBLE, harm_rate DOUBLE)"
        )
        conn.execute(
            "INSERT INTO incident_rates VALUES ('D1', ?, 4, 20, 900, 4.4), "
            "('D2', ?, 25, 0, 1000, 25.0)",
            [dt.date(2026, 1, 1), dt.date(2026, 1, 1)],
        )
    out = tmp_path / "export"
    written = export_parquet(wh, out)
    assert "incidents.parquet" not in written
    rows = sorted(pq.read_table(out / "incident_rates.parquet").to_pylist(), key=str)
    d1 = next(r for r in rows if r["department_id"] == "D1")
    d2 = next(r for r in rows if r["department_id"] == "D2")
    assert d1["harm_events"] is None and d1["harm_rate"] is None and d1["near_misses"] == 20
    assert d2["harm_events"] == 25 and d2["harm_rate"] == 25.0


def test_suppressed_select_quotes_every_column() -> None:
    sql = suppressed_select("incident_rates", ["month", "harm_events", "harm_rate"])
    assert sql.startswith('SELECT "month" AS "month", CASE WHEN "harm_events" > 0')
    assert sql.endswith('FROM "incident_rates"')
