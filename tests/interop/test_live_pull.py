"""Pull-import of the demo hospital from a second running instance of our LRS, killed midway."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from analytics.demo.generate import generate
from lrs.cli import main
from statements.documents import STATE
from statements.store import open_store
from statements.store.migrate import inventory
from tests.interop.live import lrs_on, wait_for
from tests.interop.target import same_statements, voiding
from tests.reliability import server
from tests.reliability.server import HEADERS, KEY, ROOT, SECRET

DEMO_STATEMENTS = 3000


def demo_file(tmp_path: Path) -> Path:
    """The first statements of a small demo hospital, as NDJSON."""
    generate(tmp_path / "demo", seed=7, staff=20, months=12)
    out = tmp_path / "demo.ndjson"
    with (tmp_path / "demo" / "statements.jsonl").open() as src:
        out.write_text("".join(islice(src, DEMO_STATEMENTS)))
    return out


def test_pull_the_demo_hospital_with_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, ours = tmp_path / "b" / "data", tmp_path / "a" / "data"
    source.mkdir(parents=True)
    server.add_credential(source)
    loaded = CliRunner().invoke(
        main, ["statements", "import", str(demo_file(tmp_path))], env={"LRS_DATA_DIR": str(source)}
    )
    assert f"{DEMO_STATEMENTS} stored" in loaded.output, loaded.output
    first = [json.loads(line) for line in (tmp_path / "demo.ndjson").read_text().splitlines()[:3]]
    with lrs_on(source) as b:
        voids = [
            dict(voiding(900 + i, 0), object={"objectType": "StatementRef", "id": s["id"]})
            for i, s in enumerate(first)
        ]
        assert (
            requests.post(
                f"{b.base}/xapi/statements", json=voids, headers=HEADERS, timeout=60
            ).status_code
            == 200
        )
        reg = first[0]["context"]["registration"]
        params = {
            "activityId": first[0]["object"]["id"],
            "agent": json.dumps(first[0]["actor"]),
            "registration": reg,
            "stateId": "bookmark",
        }
        put = requests.put(
            f"{b.base}/xapi/activities/state",
            params=params,
            data=b'{"page":4}',
            headers={**HEADERS, "Content-Type": "application/json"},
            timeout=60,
        )
        assert put.status_code == 204, put.text
        ckpt = tmp_path / "pull.json"
        args = [
            sys.executable,
            "-m",
            "lrs.cli",
            "pull",
            "--from",
            f"{b.base}/xapi/",
            "--key",
            KEY,
            "--secret",
            SECRET,
            "--page-size",
            "150",
            "--checkpoint",
            str(ckpt),
        ]
        env = {**server.server_env(ours, 0), "PYTHONPATH": str(ROOT)}
        with (tmp_path / "pull.log").open("wb") as log:
            proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_for(
            lambda: ckpt.is_file() and json.loads(ckpt.read_text())["pages"] >= 3,
            "three pages pulled",
            timeout=180,
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert not json.loads(ckpt.read_text())["done"]
        done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    total = DEMO_STATEMENTS + len(voids)
    assert "verification ok" in done.stdout
    assert f"count    source {total}  here {total}" in done.stdout
    src_store = open_store(f"sqlite:///{source / 'lrs.db'}")
    our_store = open_store(f"sqlite:///{ours / 'lrs.db'}")
    same_statements(src_store, our_store)
    a, b_inv = inventory(our_store), inventory(src_store)
    assert (a.statements, a.voided, a.checksum) == (b_inv.statements, b_inv.voided, b_inv.checksum)
    docs = [d for d in our_store.iter_documents() if d.scope.kind == STATE]
    assert [(d.document_id, d.content, d.scope.registration) for d in docs] == [
        ("bookmark", b'{"page":4}', reg)
    ]
