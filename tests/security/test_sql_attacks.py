"""Attacks on the SQL sandbox (``analytics/sandbox.py``) and ``POST /analytics/sql``.

Every attack is refused (400 naming ``sql`` and the rule) or stopped by the limits, nothing is
written outside the warehouse, and the server answers normally afterwards. The identity map is
reachable only with ``identity=true`` *and* the ``analytics/staff`` scope.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from analytics.sandbox import QueryTimeout, run_sql
from analytics.warehouse import Warehouse
from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from statements.errors import BadRequest

SECRET_IFI = "mbox:mailto:very.private@example.org"


@pytest.fixture
def backend() -> str:
    """The store plays no part here: one backend is enough."""
    return "sqlite"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = Warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")
    with wh.write() as conn:
        conn.execute("INSERT INTO identity.actor_ifi VALUES ('k1', ?)", [SECRET_IFI])
        conn.execute(
            "INSERT INTO identity.identity_map VALUES ('p1', 'E123', ?, NULL, NULL, 'k1')",
            [SECRET_IFI.removeprefix("mbox:")],
        )
    return wh


def out_file(tmp: Path) -> str:
    return str(tmp / "stolen.csv").replace("'", "''")


# (attack, the rule it must be refused by)
REFUSED = [
    ("SELECT * FROM read_csv('/etc/passwd')", "execution"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "execution"),
    ("SELECT * FROM read_text('/etc/passwd')", "execution"),
    ("SELECT * FROM read_blob('/etc/passwd')", "execution"),
    ("SELECT * FROM glob('/etc/*')", "execution"),
    ("SELECT * FROM read_parquet('/etc/passwd')", "execution"),
    ("SELECT * FROM read_json_auto('/etc/hosts')", "execution"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "execution"),
    ("FROM read_csv('/etc/passwd')", "execution"),
    ("SELECT * FROM '/etc/passwd'", "execution"),
    ("SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')", "execution"),
    ("SELECT * FROM query('ATTACH ''/tmp/x.duckdb'' AS x')", "execution"),
    ("SELECT * FROM query('SET lock_configuration = false')", "execution"),
    ("SELECT * FROM duckdb_secrets()", "execution"),
    ("SELECT * FROM identity.actor_ifi", "execution"),
    ("SELECT * FROM identity.identity_map", "execution"),
    ("ATTACH '/tmp/evil.duckdb' AS evil", "select-only"),
    ("ATTACH ':memory:' AS scratch", "select-only"),
    ("DETACH wh", "select-only"),
    ("COPY (SELECT 1) TO '/tmp/stolen.csv'", "select-only"),
    ("COPY statements_all TO '/tmp/stolen.parquet' (FORMAT parquet)", "select-only"),
    ("EXPORT DATABASE '/tmp/dump'", "select-only"),
    ("INSTALL httpfs", "select-only"),
    ("LOAD httpfs", "select-only"),
    ("SET enable_external_access = true", "select-only"),
    ("SET lock_configuration = false", "select-only"),
    ("RESET memory_limit", "select-only"),
    ("PRAGMA database_list", "select-only"),
    ("PRAGMA enable_profiling", "select-only"),
    ("CALL pragma_version()", "select-only"),
    ("CHECKPOINT", "select-only"),
    ("USE memory", "select-only"),
    ("CREATE TABLE t AS SELECT 1", "select-only"),
    ("INSERT INTO statements_all SELECT * FROM statements_all", "select-only"),
    ("DELETE FROM statements_all", "select-only"),
    ("UPDATE etl_state SET last_seq = 0", "select-only"),
    ("DROP TABLE statements_all", "select-only"),
    ("SELECT 1; SELECT 2", "one-statement"),
    ("SELECT 1; ATTACH '/tmp/evil.duckdb' AS evil", "one-statement"),
    ("SELECT 1 /* */; COPY (SELECT 1) TO '/tmp/x.csv'", "one-statement"),
    ("/* harmless */ ATTACH '/tmp/evil.duckdb' AS evil", "select-only"),
    ("-- comment\nSET enable_external_access = true", "select-only"),
    (
        "SELECT 1 -- ; ATTACH '/tmp/evil.duckdb' AS evil\n; DROP TABLE statements_all",
        "one-statement",
    ),
    ("", "required"),
    ("   ", "required"),
    ("SELEC 1", "syntax"),
]
SLOW = [
    "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range < 0",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    "SELECT max(a.range * b.range + length(a.range::VARCHAR)) FROM range(3000000) a, range(3000000) b",
]


@pytest.mark.parametrize(("attack", "rule"), REFUSED)
def test_sandbox_refuses(warehouse: Warehouse, attack: str, rule: str) -> None:
    with pytest.raises(BadRequest) as caught:
        run_sql(warehouse, attack, timeout_s=5)
    [error] = caught.value.errors
    assert (error.path, error.rule) == ("sql", rule), caught.value.message
    assert SECRET_IFI not in caught.value.message


@pytest.mark.parametrize("attack", SLOW)
def test_runaway_queries_are_stopped(warehouse: Warehouse, attack: str) -> None:
    with pytest.raises(QueryTimeout):
        run_sql(warehouse, attack, timeout_s=0.5)
    assert run_sql(warehouse, "SELECT 42 AS x").table.to_pylist() == [{"x": 42}]


def test_row_cap_cuts_huge_results(warehouse: Warehouse) -> None:
    result = run_sql(warehouse, "SELECT * FROM range(100000000)", row_cap=100)
    assert result.table.num_rows == 100 and result.truncated


def test_trailing_comment_is_one_harmless_statement(warehouse: Warehouse) -> None:
    assert run_sql(warehouse, "SELECT 1 AS one; -- ").table.to_pylist() == [{"one": 1}]


def test_configuration_stays_locked(warehouse: Warehouse) -> None:
    rows = run_sql(
        warehouse,
        "SELECT name, value FROM duckdb_settings() "
        "WHERE name IN ('enable_external_access', 'lock_configuration') ORDER BY name",
    ).table.to_pylist()
    assert rows == [
        {"name": "enable_external_access", "value": "false"},
        {"name": "lock_configuration", "value": "true"},
    ]
    databases = run_sql(warehouse, "SELECT database_name FROM duckdb_databases()").table
    assert "identity" not in databases.column("database_name").to_pylist()


def test_identity_only_when_asked(warehouse: Warehouse) -> None:
    rows = run_sql(warehouse, "SELECT ifi FROM identity.actor_ifi", identity=True).table
    assert rows.column("ifi").to_pylist() == [SECRET_IFI]


def test_nothing_is_written_outside_the_warehouse(warehouse: Warehouse, tmp_path: Path) -> None:
    target = out_file(tmp_path)
    for attack in (
        f"COPY (SELECT 1) TO '{target}'",
        f"SELECT * FROM query('COPY (SELECT 1) TO ''{target}''')",
        f"SELECT 1; COPY (SELECT 1) TO '{target}'",
    ):
        with pytest.raises(BadRequest):
            run_sql(warehouse, attack)
    assert list(tmp_path.iterdir()) == []


# -- over HTTP -------------------------------------------------------------------------------
@pytest.fixture
def sql_app(store: Any, clock: Any, warehouse: Warehouse, tmp_path: Path) -> Flask:
    settings = Settings(
        data_dir=tmp_path, secret_key="t", warehouse_path=str(warehouse.path), sql_timeout_s=1
    )
    return create_app(settings, store=store, clock=clock)


def basic(app: Flask, clock: Any, key: str, *scopes: str) -> dict[str, str]:
    cred, secret = new_credential(key, scopes, clock(), key=key, secret=f"{key}-s")
    services(app).store.add_credential(cred)
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def ask(client: FlaskClient, headers: dict[str, str], sql: str, **extra: Any) -> Any:
    return client.post("/analytics/sql", json={"sql": sql, **extra}, headers=headers)


def test_http_attacks_are_refused_and_audited(sql_app: Flask, clock: Any) -> None:
    client = sql_app.test_client()
    admin = basic(sql_app, clock, "adm", "admin")
    for attack, rule in REFUSED[::4]:
        resp = ask(client, admin, attack)
        assert resp.status_code == 400, attack
        assert resp.get_json()["errors"][0] == {
            "path": "sql",
            "rule": rule,
            "message": resp.get_json()["errors"][0]["message"],
        }
    resp = ask(client, admin, SLOW[0])
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["rule"] == "time-limit"
    assert client.get("/healthz").status_code == 200
    assert ask(client, admin, "SELECT 7 AS x").get_json()["rows"] == [{"x": 7}]
    texts = [
        e.detail["sql"] for e in services(sql_app).store.list_audit() if e.action == "analytics.sql"
    ]
    assert texts == [a for a, _ in REFUSED[::4]] + [SLOW[0], "SELECT 7 AS x"]


def test_identity_map_needs_the_staff_scope(sql_app: Flask, clock: Any) -> None:
    client = sql_app.test_client()
    admin = basic(sql_app, clock, "adm", "admin")
    staff_admin = basic(sql_app, clock, "stf", "admin", "analytics/staff")
    analyst = basic(sql_app, clock, "ana", "analytics/staff", "analytics/read")
    query = "SELECT ifi FROM identity.actor_ifi"
    assert ask(client, admin, query).status_code == 400  # not attached: no such schema
    refused = ask(client, admin, query, identity=True)
    assert refused.status_code == 403 and SECRET_IFI not in refused.get_data(as_text=True)
    assert ask(client, analyst, query, identity=True).status_code == 403  # SQL is admin-only
    allowed = ask(client, staff_admin, query, identity=True)
    assert allowed.status_code == 200 and allowed.get_json()["rows"] == [{"ifi": SECRET_IFI}]
