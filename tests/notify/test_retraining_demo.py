"""Retraining lists on a tiny demo hospital (built once per module), as of the end of its window,
after its planted protocol change: the function, the CSV, ``/analytics/retraining`` and the CLI."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from analytics.demo.generate import generate
from analytics.demo.load import load_demo, truth_of
from analytics.monthly import frame
from analytics.notify.retraining import (
    CSV_COLUMNS,
    protocol_change_list,
    retraining_list,
    to_csv,
)
from analytics.run_models import run_models
from analytics.warehouse import Warehouse
from lrs.cli import main
from statements.errors import BadRequest, Conflict, NotFound
from statements.store import open_store

Cred = Callable[..., dict[str, str]]
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://t.example", "name": "t"}}


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("retraining")
    generate(root / "h", seed=1, staff=20, months=12)
    store = open_store(f"sqlite:///{root / 'lrs.db'}")
    store.init()
    wh = Warehouse(root / "wh" / "warehouse.duckdb")
    wh.path.parent.mkdir()
    try:
        load_demo(store, wh, root / "h", b"k" * 32, AUTHORITY, workers=1)
    finally:
        store.close()
    truth = truth_of(root / "h")
    change = next(s for s in truth["signals"] if s["id"] == "protocol_change")
    change_date = date.fromisoformat(change["change_date"])
    as_of = date.fromisoformat(truth["window"]["end"])  # 2.5 months after the change
    run_models(wh, as_of)
    with wh.read() as conn:
        status = frame(conn, "SELECT * FROM person_competency_status")
        statement_ids = set(frame(conn, "SELECT statement_id FROM statements")["statement_id"])
    return {
        "wh": wh,
        "change": change,
        "change_date": change_date,
        "as_of": as_of,
        "status": status,
        "statement_ids": statement_ids,
    }


def test_protocol_change_csv_lists_exactly_the_update_due_staff(hospital: dict[str, Any]) -> None:
    """Must show: the CSV for the planted change = the model's update_due staff, with evidence."""
    competency = hospital["change"]["competency_id"]
    model = hospital["status"].filter(
        (pl.col("status") == "update_due") & (pl.col("competency_id") == competency)
    )
    assert model.height >= 2  # the planted change invalidated passes not yet renewed
    rows = protocol_change_list(hospital["wh"], competency, hospital["change_date"], identity=True)
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert tuple(parsed[0]) == CSV_COLUMNS
    assert sorted(r["person_key"] for r in parsed) == sorted(model["person_key"])
    evidence = dict(zip(model["person_key"], model["evidence_ids"], strict=True))
    due = hospital["change_date"] + timedelta(days=hospital["change"]["retrain_due_days"])
    for r in parsed:
        ids = r["evidence_ids"].split(";")
        assert ids == list(evidence[r["person_key"]]) and ids != [""]
        assert all(i in hospital["statement_ids"] or i.startswith("cert:") for i in ids)
        assert r["reason"] == "update_due" and r["competency_id"] == competency
        assert r["due_date"] == due.isoformat()
        assert r["user_id"] and "@" in r["email"] and competency in r["course_id"]
        assert "*" not in r["course_id"]


def test_reasons_follow_the_model_statuses(hospital: dict[str, Any]) -> None:
    rows = retraining_list(hospital["wh"], None, None, hospital["as_of"])
    assert rows and all(r["person_id"] is None and r["email"] is None for r in rows)
    status = {
        (k, c): (s, e)
        for k, c, s, e in hospital["status"]
        .select("person_key", "competency_id", "status", "expires_on")
        .iter_rows()
    }
    soon = hospital["as_of"] + timedelta(days=30)
    for r in rows:
        st, expires = status[(r["person_key"], r["competency_id"])]
        assert r["status"] == st
        expected = {
            "update_due": {"update_due"},
            "lapsed": {"expired", "in_grace", "overdue"},
            "failed": {"expired", "in_grace", "overdue"},
        }.get(r["reason"])
        if expected is None:
            assert r["reason"] == "due_soon" and expires <= soon
        else:
            assert st in expected
    listed = {(r["person_key"], r["competency_id"]) for r in rows}
    missing = [
        key
        for key, (st, expires) in status.items()
        if key not in listed
        and (
            st in ("update_due", "expired", "in_grace", "overdue") or (expires and expires <= soon)
        )
    ]
    assert missing == []
    lapsed = retraining_list(hospital["wh"], "D01", None, None, ["lapsed"])
    assert {r["reason"] for r in lapsed} <= {"lapsed"}
    assert {r["department_id"] for r in lapsed} <= {"D01"}
    assert len(retraining_list(hospital["wh"], None, None, None, due_within_days=0)) < len(rows)


def test_refusals(hospital: dict[str, Any]) -> None:
    wh, competency = hospital["wh"], hospital["change"]["competency_id"]
    with pytest.raises(BadRequest):
        retraining_list(wh, None, None, None, ["bored"])
    with pytest.raises(Conflict):
        retraining_list(wh, None, None, hospital["as_of"] - timedelta(days=1))
    with pytest.raises(NotFound):
        protocol_change_list(wh, competency, hospital["change_date"] - timedelta(days=1))


@pytest.fixture
def wh_client(hospital: dict[str, Any], client: FlaskClient, tmp_path: Path) -> FlaskClient:
    for f in hospital["wh"].path.parent.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    return client


def test_endpoint_json_csv_scope_and_audit(
    wh_client: FlaskClient, credential: Cred, hospital: dict[str, Any], app: Any
) -> None:
    read, staff = credential("analytics/read"), credential("analytics/staff")
    competency, change = hospital["change"]["competency_id"], hospital["change_date"]
    url = f"/analytics/retraining?competency_id={competency}&change_date={change}"
    assert wh_client.get(url, headers=read).status_code == 403
    body = wh_client.get(url, headers=staff).get_json()
    expected = protocol_change_list(hospital["wh"], competency, change, identity=True)
    assert body == {"count": len(expected), "rows": expected}
    resp = wh_client.get(url + "&format=csv", headers=staff)
    assert resp.mimetype == "text/csv" and resp.get_data(as_text=True) == to_csv(expected)
    audits = [
        e for e in app.extensions["lrs"].store.list_audit() if e.action.endswith("staff_read")
    ]
    assert [a.detail["rows"] for a in audits] == [len(expected)] * 2
    bad = wh_client.get("/analytics/retraining?reason=bored", headers=staff)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["path"] == "reason"
    bad = wh_client.get(f"/analytics/retraining?change_date={change}", headers=staff)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["path"] == "competency_id"
    bad = wh_client.get("/analytics/retraining?due_within_days=-3", headers=staff)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["path"] == "due_within_days"


def test_cli_writes_the_csv(hospital: dict[str, Any], tmp_path: Path) -> None:
    for f in hospital["wh"].path.parent.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    competency, change = hospital["change"]["competency_id"], hospital["change_date"]
    args = ["analytics", "retraining", "--competency", competency, "--change-date", str(change)]
    result = CliRunner().invoke(main, args, env={"LRS_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    expected = protocol_change_list(hospital["wh"], competency, change, identity=True)
    assert result.output == to_csv(expected)
