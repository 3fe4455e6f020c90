"""The admin-scoped HTTP endpoints of the warehouse."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq
from flask.testing import FlaskClient

from tests.analytics.helpers import rec, stmt

Cred = Callable[..., dict[str, str]]


def admin(credential: Cred) -> dict[str, str]:
    headers = credential("admin")
    headers.pop("X-Experience-API-Version")
    return headers


def test_endpoints_need_admin_scope(client: FlaskClient, credential: Cred) -> None:
    headers = credential("all")
    assert client.post("/analytics/refresh", headers=headers).status_code == 403
    assert client.post("/analytics/sql", json={"sql": "SELECT 1"}).status_code == 401
    assert client.get("/analytics/unmatched", headers=headers).status_code == 403


def test_refresh_sql_and_unmatched(client: FlaskClient, credential: Cred, store: Any) -> None:
    h = admin(credential)
    store.insert([rec(stmt(1)), rec(stmt(2, who="bob"))], [])
    resp = client.post("/analytics/refresh?full=true", headers=h)
    assert resp.status_code == 200 and resp.get_json()["loaded"] == 2
    resp = client.post(
        "/analytics/sql", headers=h, json={"sql": "SELECT count(*) AS n FROM statements"}
    )
    assert resp.get_json()["rows"] == [{"n": 2}]
    resp = client.post(
        "/analytics/sql", headers=h, json={"sql": "SELECT 1 AS x", "format": "parquet"}
    )
    assert pq.read_table(io.BytesIO(resp.data)).to_pylist() == [{"x": 1}]
    resp = client.post("/analytics/sql", headers=h, json={"sql": "SELECT 1 AS x", "format": "csv"})
    assert resp.mimetype == "text/csv" and resp.data == b"x\n1\n"
    unmatched = client.get("/analytics/unmatched", headers=h).get_json()
    assert unmatched["count"] == 2


def test_sql_refusals_are_400(client: FlaskClient, credential: Cred, store: Any) -> None:
    h = admin(credential)
    client.post("/analytics/refresh", headers=h)
    for body in [{"sql": "DROP TABLE staff"}, {"sql": "SELECT 1", "format": "xml"}, {"nope": 1}]:
        resp = client.post("/analytics/sql", headers=h, json=body)
        assert resp.status_code == 400
        assert resp.get_json()["errors"]


def test_bad_as_of_is_400(client: FlaskClient, credential: Cred) -> None:
    resp = client.post("/analytics/refresh?as_of=yesterday", headers=admin(credential))
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["path"] == "as_of"


def test_imports_csv_and_jsonl(client: FlaskClient, credential: Cred) -> None:
    h = admin(credential)
    csv = b"role_code,role_family\nrn,clinical\nmd,doctor\n"
    resp = client.post(
        "/analytics/imports/roles", headers={**h, "Content-Type": "text/csv"}, data=csv
    )
    body = resp.get_json()
    assert resp.status_code == 200 and body["loaded"] == 1
    assert body["errors"] == [
        {"line": 3, "column": "role_family", "reason": body["errors"][0]["reason"]}
    ]
    resp = client.post(
        "/analytics/imports/roles?strict=true",
        headers={**h, "Content-Type": "application/x-ndjson"},
        data=b'{"role_code": "md", "role_family": "doctor"}\n',
    )
    assert resp.status_code == 400 and resp.get_json()["loaded"] == 0
    resp = client.post(
        "/analytics/imports/roles", headers={**h, "Content-Type": "application/json"}, data=b"{}"
    )
    assert resp.status_code == 400
    resp = client.post(
        "/analytics/imports/patients", headers={**h, "Content-Type": "text/csv"}, data=b"a\n"
    )
    assert resp.status_code == 400
