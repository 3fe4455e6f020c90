"""The SQL sandbox: one read-only SELECT; everything else refused; row cap and time limit."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from analytics.sandbox import QueryTimeout, run_sql
from analytics.warehouse import Warehouse
from statements.errors import BadRequest


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    with warehouse.write() as conn:
        conn.execute("INSERT INTO identity.identity_map VALUES ('k', 'p1', NULL, NULL, NULL, 'a')")
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n")
    return warehouse


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("INSERT INTO roles VALUES ('x', 'clinical', 't')", "select-only"),
        ("DELETE FROM category_competency", "select-only"),
        ("CREATE TABLE t AS SELECT 1", "select-only"),
        ("COPY category_competency TO '/tmp/out.csv'", "select-only"),
        ("ATTACH '/tmp/other.duckdb' AS other", "select-only"),
        ("SET threads = 1", "select-only"),
        ("PRAGMA version", "select-only"),
        ("SELECT 1; SELECT 2", "one-statement"),
        ("SELECT 1; DROP TABLE roles", "one-statement"),
        ("SELEC 1", "syntax"),
        ("   ", "required"),
    ],
)
def test_refusals(wh: Warehouse, sql: str, rule: str) -> None:
    with pytest.raises(BadRequest) as caught:
        run_sql(wh, sql)
    assert caught.value.errors[0].rule == rule


def test_no_file_access_from_a_select(wh: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="disabled by configuration"):
        run_sql(wh, f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")
    with pytest.raises(BadRequest, match="disabled by configuration"):
        run_sql(wh, f"SELECT * FROM read_parquet('{tmp_path / 'x.parquet'}')")


def test_identity_map_hidden_unless_allowed(wh: Warehouse) -> None:
    with pytest.raises(BadRequest, match="identity"):
        run_sql(wh, "SELECT * FROM identity.identity_map")
    got = run_sql(wh, "SELECT person_id FROM identity.identity_map", identity=True)
    assert got.table.to_pylist() == [{"person_id": "p1"}]


def test_runaway_query_is_stopped_by_the_time_limit(wh: Warehouse) -> None:
    with pytest.raises(QueryTimeout):
        run_sql(wh, "SELECT count(*) FROM range(100000000000) a, range(100000) b", timeout_s=0.3)


def test_row_cap_and_formats(wh: Warehouse) -> None:
    result = run_sql(wh, "SELECT range AS n, 'x' AS s FROM range(25)", row_cap=10)
    assert result.truncated and result.table.num_rows == 10
    doc = json.loads(result.render("json"))
    assert doc["columns"] == ["n", "s"] and len(doc["rows"]) == 10 and doc["truncated"] is True
    assert result.render("csv").decode().splitlines()[:2] == ["n,s", "0,x"]
    assert pq.read_table(io.BytesIO(result.render("parquet"))).num_rows == 10
    whole = run_sql(wh, "SELECT * FROM range(10)", row_cap=10)
    assert not whole.truncated
