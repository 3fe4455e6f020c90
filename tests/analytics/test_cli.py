"""The warehouse commands end to end through click."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrs.cli import main
from statements.store import open_store
from tests.analytics.helpers import rec, stmt


def test_refresh_import_sql_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
    store.init()
    store.insert([rec(stmt(1))], [])
    store.close()
    runner = CliRunner()
    out = runner.invoke(main, ["analytics", "refresh"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["loaded"] == 1
    roster = tmp_path / "staff.csv"
    roster.write_text(
        "person_id,department_id,role_code,hire_date,mbox\np1,icu,rn,2020-01-01,mailto:ann@example.org\np2,icu,rn,bad,mailto:b@example.org\n"
    )
    out = runner.invoke(main, ["import", "staff", str(roster)])
    assert out.exit_code == 1 and "staff.csv:3: hire_date" in out.output
    out = runner.invoke(main, ["sql", "SELECT department_id FROM statements", "--format", "csv"])
    assert out.exit_code == 0 and out.output.splitlines() == ["department_id", "icu"]
    out = runner.invoke(main, ["sql", "DELETE FROM staff"])
    assert out.exit_code == 1 and "only SELECT" in out.output
    first = out.output.splitlines()[0]
    assert first.count("only SELECT") == 1, first  # the error is printed once, not "X (sql: X)"
    out = runner.invoke(main, ["analytics", "unmatched"])
    assert out.exit_code == 0 and "0 unmatched" in out.output
    out = runner.invoke(main, ["export", "--format", "parquet", str(tmp_path / "pq")])
    assert out.exit_code == 0 and (tmp_path / "pq" / "staff.parquet").exists()
    out = runner.invoke(main, ["export", "--format", "parquet"])  # default: inside the data dir
    assert out.exit_code == 0 and (tmp_path / "exports" / "staff.parquet").exists(), out.output


def test_refresh_as_of_before_anything_stored_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
    store.init()
    store.insert([rec(stmt(1, timestamp="2020-01-01T00:00:00Z"))], [])
    store.close()
    out = CliRunner().invoke(main, ["analytics", "refresh", "--as-of", "2020-01-31"])
    assert out.exit_code == 1, out.output
    assert "stored" in out.output and "lrs analytics models --as-of 2020-01-31" in out.output


def test_models_prints_crosswalk_warnings_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``lrs analytics models`` says on stderr (and in the JSON) that the crosswalk is unusable."""
    from datetime import date

    import lrs.cli.analytics.models as cli
    from analytics.run_models import RunSummary

    warning = {
        "code": "crosswalk_names_no_competency",
        "severity": "error",
        "message": "The crosswalk names none of the imported competencies.",
        "detail": "unknown competency ids: falls_prevention",
    }
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(
        cli, "run_models", lambda *a, **k: RunSummary(date(2025, 1, 31), warnings=[warning])
    )
    out = CliRunner().invoke(main, ["analytics", "models", "--as-of", "2025-01-31"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["warnings"] == [warning]
    assert "ERROR [crosswalk_names_no_competency]" in out.stderr
    assert "falls_prevention" in out.stderr
