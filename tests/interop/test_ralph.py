"""Pull-import from a real peer LRS written by someone else: Ralph 5.1, file-system backend.

Ralph runs from its own venv (``make ralph`` → ``var/ralph``; the fixture makes it when
missing). Its fs backend refuses every write after the first (it writes with operation
CREATE), so its statement file is prefilled instead of posted to.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lrs.cli import main
from statements.compare import equivalent
from statements.interop.store import interop_store
from statements.store.migrate import ids_checksum
from tests.conftest import make_store
from tests.reliability.server import ROOT, free_port

RALPH = ROOT / "var" / "ralph"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def ralph_venv() -> Path:
    if not (RALPH / "bin" / "uvicorn").exists():
        try:
            subprocess.run(
                ["make", "ralph"], cwd=ROOT, check=True, capture_output=True, timeout=900
            )
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"Ralph (ralph-malph 5.1.0 from PyPI) could not be installed: {exc}")
    if not (RALPH / "bin" / "uvicorn").exists():
        pytest.skip("Ralph could not be installed into var/ralph (make ralph)")
    return RALPH


def statements(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ralph/{i}")),
                "actor": {"objectType": "Agent", "mbox": f"mailto:nurse{i % 9}@hospital.example"},
                "verb": {
                    "id": "http://adlnet.gov/expapi/verbs/completed",
                    "display": {"en-US": "completed"},
                },
                "object": {
                    "objectType": "Activity",
                    "id": f"https://lms.hospital.example/courses/c{i % 11}",
                },
                "result": {"score": {"scaled": round((i % 100) / 100, 2)}, "success": i % 3 > 0},
                "timestamp": f"2025-03-{1 + i % 28:02d}T08:{i % 60:02d}:00+00:00",
                "stored": f"2025-04-01T00:00:{i % 60:02d}.{i:06d}+00:00",
                "authority": {"objectType": "Agent", "mbox": "mailto:ralph-admin@hospital.example"},
                "version": "1.0.0",
            }
        )
    out.append(
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "ralph/void")),
            "actor": {"objectType": "Agent", "mbox": "mailto:admin@hospital.example"},
            "verb": {"id": VOIDED},
            "object": {"objectType": "StatementRef", "id": out[4]["id"]},
            "timestamp": "2025-03-29T00:00:00+00:00",
            "stored": "2025-04-02T00:00:00+00:00",
            "authority": {"objectType": "Agent", "mbox": "mailto:ralph-admin@hospital.example"},
            "version": "1.0.0",
        }
    )
    return out


@pytest.fixture
def ralph(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    venv = ralph_venv()
    data = tmp_path / "ralph"
    data.mkdir()
    prefilled = statements(250)
    (data / "fs_lrs.jsonl").write_text("".join(json.dumps(s) + "\n" for s in prefilled))
    auth = tmp_path / "auth.json"
    script = (
        "import bcrypt, json, sys; json.dump([{'username': 'puller', 'hash': bcrypt.hashpw("
        "b'pull-secret', bcrypt.gensalt()).decode(), 'scopes': ['all'], 'agent': {'mbox': "
        "'mailto:puller@example.org'}}], open(sys.argv[1], 'w'))"
    )
    subprocess.run([str(venv / "bin" / "python"), "-c", script, str(auth)], check=True)
    port = free_port()
    env = {
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(data),
        "RALPH_AUTH_FILE": str(auth),
        "RALPH_APP_DIR": str(tmp_path / "ralph-app"),
        "PATH": "/usr/bin:/bin",
    }
    with (tmp_path / "ralph.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                str(venv / "bin" / "uvicorn"),
                "ralph.api:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/xAPI/"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # readiness polling
            if proc.poll() is not None:
                pytest.fail((tmp_path / "ralph.log").read_text()[-2000:])
            try:
                if (
                    requests.get(
                        base + "statements", auth=("puller", "pull-secret"), timeout=5
                    ).status_code
                    == 200
                ):
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield base, prefilled
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_pull_from_ralph(ralph: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    from click.testing import CliRunner

    base, prefilled = ralph
    done = CliRunner().invoke(
        main,
        ["pull", "--from", base, "--key", "puller", "--secret", "pull-secret", "--page-size", "40"],
        env={"LRS_DATA_DIR": str(tmp_path / "ours")},
    )
    assert done.exit_code == 0, done.output
    assert "verification ok" in done.output
    assert f"count    source {len(prefilled)}  here {len(prefilled)}" in done.output
    assert f"checksum source {ids_checksum(s['id'] for s in prefilled)}" in done.output
    store = make_store("sqlite", tmp_path / "ours")
    here = store.get_by_ids([s["id"] for s in prefilled])
    assert len(here) == len(prefilled)
    for s in prefilled:
        assert equivalent(s, here[s["id"]].body), s["id"]
    assert here[prefilled[4]["id"]].voided  # Ralph's void, applied here
    kept = interop_store(store).get_provenance(prefilled[7]["id"])
    assert kept == {
        "source": base,
        "stored": prefilled[7]["stored"],
        "authority": prefilled[7]["authority"],
    }
