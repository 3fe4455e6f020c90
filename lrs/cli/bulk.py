"""``lrs statements export|import FILE|-``: bulk NDJSON, streaming, resumable."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import click

from config.settings import Settings
from lrs.cli.core import main
from lrs.extensions import system_clock_us
from lrs.interop.importer import Importer
from lrs.interop.ndjson import attachment_reader, export_ndjson, import_ndjson
from statements.errors import LRSError
from statements.interop.store import interop_store
from statements.store import open_store

IMPORT_AUTHORITY = {
    "objectType": "Agent",
    "name": "NDJSON import",
    "account": {"homePage": "urn:readiness-lrs", "name": "ndjson-import"},
}


def _store() -> Any:
    store = open_store(Settings.from_env().resolved_store_url)
    store.init()
    return store


@main.group("statements")
def statements_cli() -> None:
    """Bulk statements: NDJSON export and import."""


@statements_cli.command("export")
@click.argument("file")
@click.option(
    "--attachments",
    "attachments_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory for attachment parts (default: FILE.attachments; none for '-').",
)
def export_cmd(file: str, attachments_dir: Path | None) -> None:
    """Write every statement (voided included) as one JSON line each to FILE or '-'."""
    store = _store()
    if file == "-":
        result = export_ndjson(store, sys.stdout.buffer, attachments_dir)
    else:
        folder = attachments_dir or Path(file + ".attachments")
        part = Path(file + ".part")
        with part.open("wb") as out:
            result = export_ndjson(store, out, folder)
        part.replace(file)
    click.echo(
        f"exported {result.statements} statements, {result.attachments} attachments;"
        f" id checksum {result.checksum}",
        err=True,
    )


@statements_cli.command("import")
@click.argument("file")
@click.option(
    "--attachments",
    "attachments_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of attachment parts (default: FILE.attachments).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Bad-line report, NDJSON (default: FILE.bad.ndjson, or stderr for '-').",
)
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path),
    default=None,
    help="Resume file (default: FILE.checkpoint; none for '-').",
)
@click.option(
    "--version",
    type=click.Choice(["1.0.3", "2.0.0"]),
    default="1.0.3",
    help="xAPI version the statements are validated against.",
)
@click.option("--chunk", type=click.IntRange(1, 10_000), default=500)
def import_cmd(
    file: str,
    attachments_dir: Path | None,
    report_path: Path | None,
    checkpoint: Path | None,
    version: str,
    chunk: int,
) -> None:
    """Store every statement of FILE or '-' (one per line) with its id; resumable."""
    store = _store()
    importer = Importer(
        store, interop_store(store), IMPORT_AUTHORITY, f"ndjson:{file}", system_clock_us, version
    )
    stdin = file == "-"
    folder = attachments_dir or (None if stdin else Path(file + ".attachments"))
    ckpt = checkpoint or (None if stdin else Path(file + ".checkpoint"))
    resuming = ckpt is not None and ckpt.is_file()
    with ExitStack() as stack:
        report: IO[str] = sys.stderr
        if report_path is not None or not stdin:
            path = report_path or Path(file + ".bad.ndjson")
            report = stack.enter_context(path.open("a" if resuming else "w"))
        stream = sys.stdin.buffer if stdin else stack.enter_context(Path(file).open("rb"))
        try:
            state = import_ndjson(importer, stream, attachment_reader(folder), report, ckpt, chunk)
        except LRSError as exc:
            raise click.ClickException(f"import stopped (run it again to resume): {exc}") from exc
    if ckpt is not None:
        ckpt.unlink(missing_ok=True)
    click.echo(
        f"read {state.line} lines: {state.stored} stored, {state.existing} already here,"
        f" {state.refused} refused",
        err=True,
    )
    if state.refused:
        sys.exit(1)
