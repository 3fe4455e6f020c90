"""The audit log: wired to refreshes, imports, SQL, exports; read and verified by admins."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from lrs.cli import main
from lrs.credentials import new_credential
from lrs.extensions import services


def admin(app: Flask, clock: Any) -> dict[str, str]:
    cred, _ = new_credential("admin", ["admin"], clock(), key="adm", secret="adm-s")
    services(app).store.add_credential(cred)
    return {"Authorization": "Basic " + base64.b64encode(b"adm:adm-s").decode()}


def test_admin_reads_filters_and_verifies_the_log(app: Flask, clock: Any) -> None:
    client = app.test_client()
    h = admin(app, clock)
    assert client.post("/analytics/refresh", headers=h).status_code == 200
    assert (
        client.post("/analytics/sql", json={"sql": "SELECT 1 AS one"}, headers=h).status_code == 200
    )
    services(app).store.append_audit(clock(), "someone", "other", {})
    body = client.get("/admin/audit?verify=true", headers=h).get_json()
    assert [e["action"] for e in body["entries"]] == ["analytics.refresh", "analytics.sql", "other"]
    assert body["entries"][1]["detail"] == {"sql": "SELECT 1 AS one", "identity": False}
    assert body["verify"]["intact"] and body["verify"]["entries"] == 3
    assert body["verify"]["head"] == body["entries"][-1]["hash"]
    mine = client.get("/admin/audit?actor=adm", headers=h).get_json()
    assert mine["count"] == 2 and "verify" not in mine
    assert client.get("/admin/audit?since=2999-01-01", headers=h).get_json()["count"] == 0
    assert client.get("/admin/audit?since=2026-01-01T00:00:00Z", headers=h).get_json()["count"] == 3
    for bad in ("since=yesterday", "since=2026-13-01", "limit=0", "limit=x", "verify=maybe"):
        resp = client.get(f"/admin/audit?{bad}", headers=h)
        assert resp.status_code == 400, bad
        assert resp.get_json()["errors"][0]["path"] == bad.split("=")[0]


def test_tampering_shows_in_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LRS_STORE_URL", raising=False)
    runner = CliRunner()
    for n in range(3):
        runner.invoke(main, ["credentials", "add", "--name", f"c{n}", "--scope", "state"])
    assert runner.invoke(main, ["audit", "--verify"]).exit_code == 0
    conn = sqlite3.connect(tmp_path / "lrs.db")
    conn.execute("DROP TRIGGER audit_no_update")  # an attacker with the database file
    conn.execute("UPDATE audit_log SET detail = ? WHERE seq = 2", [json.dumps({"key": "x"})])
    conn.commit()
    conn.close()
    broken = runner.invoke(main, ["audit", "--verify"])
    assert broken.exit_code == 1 and "BROKEN at entry 2" in broken.output


def test_cli_refresh_sql_and_export_are_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LRS_STORE_URL", raising=False)
    runner = CliRunner()
    for args in (
        ["analytics", "refresh"],
        ["sql", "SELECT 2 AS two"],
        ["export", str(tmp_path / "out")],
        ["analytics", "unmatched"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    out = runner.invoke(main, ["audit", "--json", "--since", "2020-01-01"]).output
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["action"] for e in entries] == [
        "analytics.refresh",
        "analytics.sql",
        "analytics.export",
        "analytics.unmatched",
    ]
    assert entries[1]["detail"]["sql"] == "SELECT 2 AS two"
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert runner.invoke(main, ["audit", "--since", "soon"]).exit_code == 2
