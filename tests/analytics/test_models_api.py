"""HTTP endpoints of the model outputs on a tiny generated hospital (built once per module)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from flask.testing import FlaskClient

from analytics.demo.generate import generate
from analytics.demo.load import load_demo, truth_of
from analytics.flags import compute_flags
from analytics.model_settings import from_settings
from analytics.monthly import frame
from analytics.run_models import run_models
from analytics.warehouse import Warehouse
from config.settings import Settings
from statements.store import open_store

Cred = Callable[..., dict[str, str]]
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://t.example", "name": "t"}}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, date]:
    root = tmp_path_factory.mktemp("hospital")
    generate(root / "h", seed=1, staff=20, months=12)
    store = open_store(f"sqlite:///{root / 'lrs.db'}")
    store.init()
    wh = Warehouse(root / "wh" / "warehouse.duckdb")
    wh.path.parent.mkdir()
    try:
        load_demo(store, wh, root / "h", b"k" * 32, AUTHORITY)
    finally:
        store.close()
    end = date.fromisoformat(truth_of(root / "h")["window"]["end"])
    run_models(wh, end)
    return wh.path.parent, end


@pytest.fixture
def wh_client(built: tuple[Path, date], client: FlaskClient, tmp_path: Path) -> FlaskClient:
    for f in built[0].iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    return client


def _h(credential: Cred, *scopes: str) -> dict[str, str]:
    headers = credential(*scopes)
    headers.pop("X-Experience-API-Version")
    return headers


def test_reads_and_staff_identity(
    wh_client: FlaskClient, credential: Cred, built: tuple[Path, date]
) -> None:
    read, staff = _h(credential, "analytics/read"), _h(credential, "analytics/staff")
    day = built[1].isoformat()
    body = wh_client.get("/analytics/flags", headers=read).get_json()
    for path in ("readiness", "forecast", "incidents", "compliance"):
        resp = wh_client.get(f"/analytics/{path}", headers=read)
        assert resp.status_code == 200, resp.get_json()
    cells = wh_client.get("/analytics/compliance", headers=read).get_json()["departments"]
    with_number = [c for c in cells if c["readiness"] is not None]
    assert with_number and all(c["readiness_lo"] <= c["readiness"] for c in with_number)
    assert any(c["readiness_state"] == "no_assessment_evidence" for c in cells)  # BLS cards
    assert "staff" not in wh_client.get("/analytics/compliance", headers=read).get_json()
    assert wh_client.get("/analytics/compliance", headers=staff).get_json()["staff"]
    assert body["flags"] and body["month"]
    incidents = wh_client.get("/analytics/incidents", headers=read).get_json()
    counts = [r["harm_events"] for r in incidents["incident_rates"]]
    assert all(c is None or c == 0 or c >= 11 for c in counts) and None in counts
    task = _first_task(built[0])
    resp = wh_client.get(f"/analytics/cleared?task={task}&date={day}", headers=read)
    people = resp.get_json()["people"]
    assert people and "person_id" not in people[0] and people[0]["competencies"]
    assert {"competency_id", "status", "evidence_ids"} <= set(people[0]["competencies"][0])
    people = wh_client.get(f"/analytics/cleared?task={task}", headers=staff).get_json()["people"]
    assert people[0]["person_id"] and "mbox" in people[0]


def _first_task(directory: Path) -> str:
    with Warehouse(directory / "warehouse.duckdb").read() as conn:
        return str(frame(conn, "SELECT min(task_id) AS t FROM regulated_tasks")["t"][0])


def test_bad_params_and_missing_run(wh_client: FlaskClient, credential: Cred) -> None:
    read = _h(credential, "analytics/read")
    resp = wh_client.get("/analytics/flags?month=2024-13", headers=read)
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["path"] == "month"
    resp = wh_client.get("/analytics/cleared?task=x&date=soon", headers=read)
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["path"] == "date"
    resp = wh_client.get("/analytics/cleared?task=x&date=2001-01-01", headers=read)
    assert resp.status_code == 409 and "POST /analytics/models" in resp.get_json()["error"]
    assert wh_client.post("/analytics/models", headers=read).status_code == 403


def test_no_warehouse_is_409(client: FlaskClient, credential: Cred) -> None:
    resp = client.get("/analytics/readiness", headers=_h(credential, "analytics/read"))
    assert resp.status_code == 409 and resp.get_json()["error"]


def test_min_n_setting_changes_flags(built: tuple[Path, date]) -> None:
    with Warehouse(built[0] / "warehouse.duckdb").read() as conn:
        series = frame(
            conn,
            "SELECT *, NULL::VARCHAR[] AS persons FROM dept_competency_month "
            "WHERE department_id = (SELECT min(department_id) FROM dept_competency_month)",
        )
        comps = frame(conn, "SELECT * FROM competencies")
        changes = frame(conn, "SELECT * FROM protocol_changes")
    _, loose = from_settings(Settings(flag_min_n=1, flag_min_months=3))
    _, strict = from_settings(Settings(flag_min_n=1000))
    assert set(compute_flags(series, comps, changes, strict)["flag"]) == {"INSUFFICIENT_DATA"}
    assert set(compute_flags(series, comps, changes, loose)["flag"]) != {"INSUFFICIENT_DATA"}


def test_compliant_staff_never_read_near_zero_readiness(built: tuple[Path, date]) -> None:
    # Issue 14: staff listed as compliant showed readiness of 1-3 %.
    with Warehouse(built[0] / "warehouse.duckdb").read() as conn:
        pcs = frame(conn, "SELECT * FROM person_competency_status")
        dept = frame(conn, "SELECT * FROM department_readiness")
    ok = pcs.filter(pl.col("status").is_in(["compliant", "expiring_30", "expiring_60"]))
    est = ok.filter(pl.col("readiness_state") == "estimated")
    assert est.height > 50 and est["readiness"].min() > 0.1
    assert (est["readiness_lo"] <= est["readiness"]).all()
    assert (est["readiness"] <= est["readiness_hi"]).all()
    no_number = set(
        pcs.filter(pl.col("readiness_state") == "no_assessment_evidence")["competency_id"]
    )
    assert no_number and not no_number & set(dept["weakest_competency_id"])
