"""``lrs forward add|list|status|retry|remove`` (SQLite store under LRS_DATA_DIR)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lrs.cli import main


def test_forward_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"LRS_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> tuple[int, str]:
        done = runner.invoke(main, ["forward", *args], env=env)
        return done.exit_code, done.output

    code, out = run(
        "add",
        "central",
        "--url",
        "http://127.0.0.1:9/xapi/",
        "--key",
        "k",
        "--secret",
        "s",
        "--verb",
        "http://x.org/v",
        "--authority",
        '{"mbox": "mailto:a@example.org"}',
    )
    assert code == 0 and "added central" in out, out
    code, out = run(
        "add", "central", "--url", "http://127.0.0.1:9/xapi/", "--key", "k", "--secret", "s"
    )
    assert code == 1 and "already exists" in out
    code, out = run("add", "bad", "--url", "nope", "--key", "k", "--secret", "s")
    assert code == 1 and "url" in out
    code, out = run("list")
    assert "central\thttp://127.0.0.1:9/xapi/\t1.0.3\tverb=http://x.org/v" in out
    assert "authority_key=mbox:mailto:a@example.org" in out
    code, out = run("status", "--json")
    shown = json.loads(out)[0]
    assert (shown["outbox_depth"], shown["dead_letters"]) == (0, 0) and "secret" not in shown
    assert run("retry", "central") == (0, "queued 0 dead letters of central for delivery\n")
    assert run("run", "--once")[0] == 0
    assert run("remove", "central") == (0, "removed central\n")
    assert run("remove", "central")[0] == 1
