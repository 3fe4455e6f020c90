"""Schemathesis fuzzes the live gunicorn server from its own /openapi.json: no 5xx, ever.

Bounded and deterministic by default; ``make fuzz`` sets ``LRS_FUZZ_EXAMPLES`` for a longer,
randomised run.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.reliability import server
from tests.reliability.server import BIN, KEY, SECRET

FUZZ = os.environ.get("LRS_FUZZ_EXAMPLES")


def test_schemathesis_finds_no_server_error(tmp_path: Path) -> None:
    mode = ["-n", str(int(FUZZ) // 4)] if FUZZ else ["-n", "10", "--generation-deterministic"]
    with server.live(tmp_path / "data", workers=2) as live:
        run = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "run",
                f"{live.base}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--auth",
                f"{KEY}:{SECRET}",
                "--max-failures",
                "20",
                "--request-timeout",
                "60",
                *mode,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
            timeout=900,
        )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", out)
    assert cases is not None and cases.group(1) == cases.group(2), out[-3000:]
    assert int(cases.group(1)) > 500
    print(f"schemathesis: {cases.group(1)} cases, 0 server errors")
