"""Bulk NDJSON: export → import round-trips, bad-line report, resuming after a kill."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lrs.cli import main
from lrs.cli.bulk import IMPORT_AUTHORITY
from lrs.interop.importer import Importer
from lrs.interop.ndjson import attachment_reader, export_ndjson, import_ndjson
from statements.interop.store import interop_store
from statements.store.migrate import inventory
from tests.conftest import FakeClock, make_store
from tests.interop.target import same_statements, statement
from tests.store.test_migrate import ATT, fill


def importer(store: Any, clock: FakeClock) -> Importer:
    return Importer(store, interop_store(store), IMPORT_AUTHORITY, "ndjson:test", clock)


def test_round_trip_keeps_ids_bodies_voids_and_attachments(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    fill(store)
    out = io.BytesIO()
    result = export_ndjson(store, out, tmp_path / "atts", batch_size=5)
    assert (result.statements, result.attachments) == (12, 1)
    assert result.checksum == inventory(store).checksum
    dest = make_store("sqlite", tmp_path / "dest")
    report = io.StringIO()
    out.seek(0)
    state = import_ndjson(
        importer(dest, clock), out, attachment_reader(tmp_path / "atts"), report, chunk=4
    )
    assert (state.line, state.stored, state.refused, report.getvalue()) == (12, 12, 0, "")
    same_statements(store, dest)
    assert dest.get_attachments([ATT.sha2])[ATT.sha2] == ATT
    first = next(iter(store.iter_since(0)))[0]
    kept = interop_store(dest).get_provenance(first.id)
    assert kept == {
        "source": "ndjson:test",
        "stored": first.body["stored"],
        "authority": first.body["authority"],
    }


def lines(*items: Any) -> bytes:
    return b"".join((i if isinstance(i, bytes) else json.dumps(i).encode()) + b"\n" for i in items)


def test_bad_lines_are_reported_by_number_and_the_rest_is_stored(
    tmp_path: Path, clock: FakeClock
) -> None:
    dest = make_store("sqlite", tmp_path)
    no_verb = statement(3)
    del no_verb["verb"]
    clash = statement(1, verb="http://example.org/verbs/other")
    data = lines(statement(1), b"{not json", b"", [statement(2)], no_verb, clash, statement(6))
    report = io.StringIO()
    state = import_ndjson(importer(dest, clock), io.BytesIO(data), attachment_reader(None), report)
    bad = [json.loads(x) for x in report.getvalue().splitlines()]
    assert [b["line"] for b in bad] == [2, 4, 5, 6]
    assert bad[2]["errors"][0]["path"].endswith("verb")
    assert "different content" in bad[3]["message"] and bad[3]["id"] == clash["id"]
    assert (state.line, state.stored, state.refused) == (7, 2, 4)
    assert sorted(dest.get_by_ids([statement(1)["id"], statement(6)["id"]])) == sorted(
        [statement(1)["id"], statement(6)["id"]]
    )


def test_a_killed_import_resumes_from_its_checkpoint(tmp_path: Path, clock: FakeClock) -> None:
    dest = make_store("sqlite", tmp_path)
    data = lines(*[statement(n) for n in range(20)], b"oops", statement(20))
    ckpt = tmp_path / "ckpt.json"
    first = importer(dest, clock)
    real_add = first.add
    calls: list[int] = []

    def die_on_third(items: Any, atts: Any) -> Any:
        calls.append(len(items))
        if len(calls) == 3:
            raise KeyboardInterrupt("kill")
        return real_add(items, atts)

    first.add = die_on_third  # type: ignore[method-assign]
    report = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        import_ndjson(first, io.BytesIO(data), attachment_reader(None), report, ckpt, chunk=6)
    assert json.loads(ckpt.read_text())["line"] == 12
    second = importer(dest, clock)
    seen: list[int] = []
    real_second = second.add
    second.add = lambda items, atts: seen.append(items[0][0]) or real_second(items, atts)  # type: ignore[method-assign]
    state = import_ndjson(second, io.BytesIO(data), attachment_reader(None), report, ckpt, chunk=6)
    assert seen == [13, 19]  # starts after the checkpoint, not from line 1
    assert (state.line, state.stored, state.refused) == (22, 21, 1)
    assert json.loads(report.getvalue())["line"] == 21
    assert sum(len(b) for b in dest.iter_since(0)) == 21


def test_cli_round_trip_through_files(tmp_path: Path) -> None:
    runner = CliRunner()
    src = make_store("sqlite", tmp_path / "src")
    fill(src)
    src.close()
    file = tmp_path / "out.ndjson"
    done = runner.invoke(
        main, ["statements", "export", str(file)], env={"LRS_DATA_DIR": str(tmp_path / "src")}
    )
    assert done.exit_code == 0, done.output
    assert "exported 12 statements, 1 attachments" in done.output
    assert len(file.read_text().splitlines()) == 12
    done = runner.invoke(
        main, ["statements", "import", str(file)], env={"LRS_DATA_DIR": str(tmp_path / "dst")}
    )
    assert done.exit_code == 0, done.output
    assert "12 stored, 0 already here, 0 refused" in done.output
    again = runner.invoke(
        main, ["statements", "import", str(file)], env={"LRS_DATA_DIR": str(tmp_path / "dst")}
    )
    assert "0 stored, 12 already here" in again.output
    same_statements(make_store("sqlite", tmp_path / "src"), make_store("sqlite", tmp_path / "dst"))


def test_bulk_commands_do_not_load_the_analytics_stack() -> None:
    import subprocess
    import sys

    from tests.reliability.server import ROOT

    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom lrs.cli import main\n"
        "r = CliRunner().invoke(main, ['statements', 'import', '--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('analytics', 'statsmodels', 'scipy', 'duckdb', 'polars')))\n"
        "r = CliRunner().invoke(main, ['analytics', '--help'])\n"
        "assert r.exit_code == 0 and 'warehouse' in r.output, r.output\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
