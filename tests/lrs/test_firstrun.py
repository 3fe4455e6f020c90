"""First run: when the demo hospital is offered, and that nothing ever waits without a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from config.settings import Settings
from lrs.cli import main
from lrs.cli.demo.run import CREDENTIAL_FILE, SOURCE_DIR
from lrs.cli.firstrun import demo_banner, wants_demo


def test_lrs_demo_1_loads_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("click.confirm", lambda *a, **k: pytest.fail("must not ask"))
    assert wants_demo({"LRS_DEMO": "1"}, interactive=True) is True


def test_lrs_demo_0_never_offers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("click.confirm", lambda *a, **k: pytest.fail("must not ask"))
    assert wants_demo({"LRS_DEMO": "0"}, interactive=True) is False


def test_no_terminal_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("click.confirm", lambda *a, **k: pytest.fail("must not ask"))
    assert wants_demo({}, interactive=False) is False


def test_terminal_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    monkeypatch.setattr("click.confirm", lambda *a, **k: asked.append(a) or True)
    assert wants_demo({}, interactive=True) is True
    assert asked


def test_the_banner_names_the_store_and_how_to_leave_the_demo(tmp_path: Path) -> None:
    settings = Settings.from_env({"LRS_DATA_DIR": str(tmp_path)})
    text = "\n".join(demo_banner(settings, "http://h:1", "demo-admin", "s3cret"))
    assert f"sqlite:///{tmp_path}/lrs.db" in text or str(tmp_path / "lrs.db") in text
    assert "lrs demo remove" in text and "key demo-admin   secret s3cret" in text


def test_demo_remove_deletes_the_demo_store_and_only_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    for name in ("lrs.db", "lrs.db-wal", "warehouse.duckdb", "warehouse.identity.duckdb"):
        (tmp_path / name).write_text("x")
    (tmp_path / CREDENTIAL_FILE).write_text("demo-admin s\n")
    (tmp_path / SOURCE_DIR).mkdir()
    (tmp_path / SOURCE_DIR / "staff.csv").write_text("x")
    (tmp_path / "pseudonym.key").write_text("k")
    runner = CliRunner()
    done = runner.invoke(main, ["demo", "remove", "--yes"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pseudonym.key"]
    again = runner.invoke(main, ["demo", "remove", "--yes"])
    assert again.exit_code == 1 and "no demo" in again.output


def test_demo_remove_asks_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    (tmp_path / CREDENTIAL_FILE).write_text("demo-admin s\n")
    refused = CliRunner().invoke(main, ["demo", "remove"], input="n\n")
    assert refused.exit_code == 1 and (tmp_path / CREDENTIAL_FILE).exists()
