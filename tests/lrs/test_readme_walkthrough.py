"""The README's walk-through, replayed command by command after a demo first run.

The commands are read from README.md itself (every ``sh`` block of "A newcomer's
walk-through"), in order, and run with bash from a fresh directory whose ``var/`` holds the
demo, while the LRS serves that same directory. Only these substitutions are made, each
standing for what a reader does by hand:

* ``.venv/bin/lrs`` runs this checkout's ``lrs`` (``python -m lrs.cli``);
* ``KEY:SECRET`` is the key and secret printed by the latest ``lrs credentials add``;
* ``http://127.0.0.1:8000`` is the test server's address (an ephemeral port);
* ``curl`` fails on an HTTP error (``--fail-with-body``), so a 401 is a failed command.

The demo is a small one (20 staff, 12 months) to keep the test quick; the code path is the
one ``lrs start`` takes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from lrs.app import create_app
from lrs.cli.demo.run import DemoSize, first_run
from lrs.cli.progress import Steps
from tests.live import serve

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def walkthrough_commands(text: str) -> list[str]:
    """The shell commands of the walk-through's ``sh`` blocks, continuation lines joined."""
    section = text.split("## A newcomer's walk-through", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip() and not command.lstrip().startswith("#"):
                commands.append(command.strip())
    return commands


def test_the_walkthrough_is_found() -> None:
    commands = walkthrough_commands(README.read_text(encoding="utf-8"))
    assert commands[0].startswith(".venv/bin/lrs credentials add")
    assert sum(c.startswith("curl") for c in commands) >= 3
    assert any("lrs sql" in c for c in commands) and any("lrs export" in c for c in commands)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    return {**env, "LRS_DATA_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)}


def _substitute(command: str, base: str, credential: tuple[str, str] | None) -> str:
    command = command.replace(".venv/bin/lrs", f"{sys.executable} -m lrs.cli")
    command = command.replace("http://127.0.0.1:8000", base)
    if command.startswith("curl"):
        command = "curl -sS --fail-with-body" + command[len("curl") :]
    if credential is not None:
        command = command.replace("KEY:SECRET", f"{credential[0]}:{credential[1]}")
    return command


def _credential(output: str) -> tuple[str, str]:
    fields = dict(line.split(":", 1) for line in output.splitlines() if ":" in line)
    return fields["key"].strip(), fields["secret"].strip()


def test_readme_walkthrough_after_a_demo_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path)
    settings = Settings.from_env(env)
    lines: list[str] = []
    first_run(settings, Steps(interactive=False, emit=lines.append), DemoSize(staff=20, months=12))
    credential: tuple[str, str] | None = None
    outputs: list[tuple[str, str]] = []
    monkeypatch.setenv("LRS_DATA_DIR", env["LRS_DATA_DIR"])
    with serve(create_app(settings)) as base:
        for command in walkthrough_commands(README.read_text(encoding="utf-8")):
            shell = _substitute(command, base, credential)
            done = subprocess.run(
                ["bash", "-c", shell],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            outputs.append((command, done.stdout))
            if "credentials add" in command:
                credential = _credential(done.stdout)
    posted = next(out for c, out in outputs if c.startswith("curl") and '-d \'{"actor"' in c)
    assert len(json.loads(posted)) == 1  # the statement id
    listed = next(out for c, out in outputs if "statements?limit=5" in c)
    assert json.loads(listed)["statements"][0]["actor"]["mbox"] == "mailto:nurse@example.org"
    # the CLI acts on the store the server serves: the refresh finds the statement posted
    refreshed = next(out for c, out in outputs if c.startswith(".venv/bin/lrs analytics refresh"))
    assert json.loads(refreshed)["loaded"] == 1
    sql = next(out for c, out in outputs if c.startswith("curl") and "analytics/sql" in c)
    assert next(iter(json.loads(sql)["rows"][0].values())) > 1000  # the demo's statements
    assert (tmp_path / "var" / "exports" / "staff.parquet").exists()
