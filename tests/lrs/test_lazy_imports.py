"""A worker that only serves xAPI does not load the analytics stack (DuckDB, Polars, PyArrow,
Plotly, NumPy, SciPy, statsmodels, pandas): those modules are imported by the analytics and
dashboard routes on their first request. This keeps a worker's RSS down (they are about 200 MB
of a 280 MB worker) and its garbage collector's heap small.

Runs in a fresh interpreter: the test process itself has imported them long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("duckdb", "polars", "pyarrow", "plotly", "numpy", "scipy", "statsmodels", "pandas")

SCRIPT = """
import base64, json, sys, uuid
from pathlib import Path

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from statements.store.sqlite import SQLiteStore

HEAVY = {heavy!r}
data = Path(sys.argv[1])
store = SQLiteStore(data / "lrs.db")
store.init()
app = create_app(Settings(data_dir=data, secret_key="test-secret"), store=store)
client = app.test_client()
loaded = {{}}

def note(when):
    loaded[when] = sorted(m for m in HEAVY if m in sys.modules)

note("create_app")
headers = {{}}
for scopes in (("all",), ("admin",)):
    cred, secret = new_credential("t", scopes, 0, key="k" + scopes[0], secret="s")
    store.add_credential(cred)
    token = base64.b64encode(("k" + scopes[0] + ":s").encode()).decode()
    headers[scopes[0]] = {{"Authorization": "Basic " + token, "X-Experience-API-Version": "1.0.3"}}
statement = {{
    "id": str(uuid.UUID(int=7)),
    "actor": {{"mbox": "mailto:a@example.org"}},
    "verb": {{"id": "http://adlnet.gov/expapi/verbs/completed"}},
    "object": {{"id": "http://example.org/course"}},
}}
assert client.post("/xapi/statements", json=[statement], headers=headers["all"]).status_code == 200
agent = json.dumps({{"mbox": "mailto:a@example.org"}})
page = client.get("/xapi/statements", query_string={{"agent": agent}}, headers=headers["all"])
assert len(page.get_json()["statements"]) == 1
assert client.get("/dashboards/").status_code == 302  # sign-in redirect
note("xapi")
status = client.get("/analytics/unmatched", headers=headers["admin"]).status_code
loaded["unmatched_status"] = status
note("analytics")
print(json.dumps(loaded))
"""


def test_xapi_worker_does_not_import_the_analytics_stack(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["create_app"] == []
    assert loaded["xapi"] == []
    # The first analytics request loads what it needs, and works (409: no warehouse yet).
    assert loaded["unmatched_status"] == 409
    assert "duckdb" in loaded["analytics"]
