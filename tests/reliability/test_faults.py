"""Resource faults: store unreachable, disk full, read-only data directory.

Each answers 503 with the JSON error shape, writes nothing half-way, leaves SQLite passing
``PRAGMA integrity_check`` and recovers once the fault clears. Disk full and read-only are real
OS faults on a small tmpfs mounted for the test (root only; skipped where mounting is refused).
"""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from tests.factories import make_statement

AUTH = {
    "Authorization": "Basic " + base64.b64encode(b"fk:fs").decode(),
    "X-Experience-API-Version": "1.0.3",
}
PAD = "x" * 2000


def _app(data_dir: Path, **changes: Any) -> Flask:
    app = create_app(Settings(data_dir=data_dir, secret_key="t", **changes))
    cred, _ = new_credential("f", ("all",), 1, key="fk", secret="fs")
    services(app).store.add_credential(cred)
    return app


def _batch(start: int, size: int) -> list[dict[str, Any]]:
    return [
        make_statement(
            id=str(uuid.UUID(int=start + i + 1)),
            verb={"id": "http://example.org/v", "display": {"en": PAD}},
        )
        for i in range(size)
    ]


def _assert_503(resp: Any) -> None:
    assert resp.status_code == 503, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error", "errors", "status"} and body["status"] == 503


def _ids_present(client: FlaskClient, batch: list[dict[str, Any]]) -> list[bool]:
    return [
        client.get(f"/xapi/statements?statementId={s['id']}", headers=AUTH).status_code == 200
        for s in batch
    ]


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], capture_output=True)
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_store_unreachable_503_then_recovers(tmp_path: Path) -> None:
    blocker = tmp_path / "store"
    blocker.write_text("a file where the store directory should be")
    settings = Settings(data_dir=tmp_path, secret_key="t", store_url=f"sqlite:///{blocker}/lrs.db")
    client = create_app(settings).test_client()
    _assert_503(client.get("/xapi/statements", headers=AUTH))
    _assert_503(client.post("/xapi/statements", json=_batch(0, 2), headers=AUTH))
    _assert_503(client.get("/readyz"))
    blocker.unlink()  # the fault clears: the directory can be created
    assert client.get("/readyz").status_code == 200
    assert client.get("/xapi/statements", headers=AUTH).status_code == 401  # store answers


def test_disk_full_503_nothing_half_written_then_recovers(small_fs: Path) -> None:
    app = _app(small_fs)
    client = app.test_client()
    ballast = small_fs / "ballast"
    ballast.write_bytes(b"\0" * 400_000)
    acked: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for start in range(0, 10_000, 40):
        batch = _batch(start, 40)
        resp = client.post("/xapi/statements", json=batch, headers=AUTH)
        if resp.status_code == 503:
            _assert_503(resp)
            failed = batch
            break
        assert resp.status_code == 200
        acked += batch
    assert failed, "the filesystem never filled up"
    assert acked and all(_ids_present(client, acked))
    assert not any(_ids_present(client, failed)), "a rejected batch left statements behind"
    ballast.unlink()  # the fault clears
    assert client.post("/xapi/statements", json=failed, headers=AUTH).status_code == 200
    assert all(_ids_present(client, acked + failed))
    services(app).store.close()
    assert _integrity(small_fs / "lrs.db") == "ok"


def test_read_only_data_dir_503_then_recovers(small_fs: Path) -> None:
    app = _app(small_fs)
    client = app.test_client()
    before = _batch(0, 5)
    assert client.post("/xapi/statements", json=before, headers=AUTH).status_code == 200
    services(app).store.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    after = _batch(100, 5)
    _assert_503(client.post("/xapi/statements", json=after, headers=AUTH))
    doc = "/xapi/activities/state?activityId=http://e.org/a&stateId=s&agent="
    doc += '{"mbox":"mailto:a@e.org"}'
    _assert_503(client.put(doc, json={"a": 1}, headers=AUTH))
    read = client.get(f"/xapi/statements?statementId={before[0]['id']}", headers=AUTH)
    if read.status_code != 200:  # SQLite cannot open a WAL database without its -shm file
        _assert_503(read)
    subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    assert client.post("/xapi/statements", json=after, headers=AUTH).status_code == 200
    assert client.put(doc, json={"a": 1}, headers=AUTH).status_code == 204
    assert all(_ids_present(client, before + after))
    services(app).store.close()
    assert _integrity(small_fs / "lrs.db") == "ok"
