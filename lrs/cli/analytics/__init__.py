"""``lrs analytics …``, ``lrs import``, ``lrs sql`` and ``lrs export``: the warehouse commands."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from analytics.etl import refresh, unmatched
from analytics.export import export_parquet
from analytics.imports.load import import_file
from analytics.imports.spec import KINDS
from analytics.resources import secret_for, warehouse_for
from analytics.sandbox import FORMATS, run_sql
from analytics.seed import SEED_FILES, seed_path
from config.settings import Settings
from lrs.audit import import_detail
from lrs.cli.actor import audit_cli, audit_settings
from lrs.cli.core import main
from statements.errors import LRSError
from statements.store import open_store


def _settings() -> Settings:
    return Settings.from_env()


def _fail(exc: LRSError) -> None:
    """Exit with the error once: field details only when they add to the message."""
    details = "; ".join(f"{e.path}: {e.message}" for e in exc.errors if e.message != exc.message)
    raise click.ClickException(exc.message + (f" ({details})" if details else ""))


def _default(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


@main.group()
def analytics() -> None:
    """The analytics warehouse: refresh it from the store, list unmatched actors."""


@analytics.command("refresh")
@click.option("--full", is_flag=True, help="Rebuild the statements from scratch.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Load only statements STORED up to the end of this day (UTC); refused when none "
    "of the waiting statements was (to replay learning dates use `models --as-of`).",
)
def refresh_cmd(full: bool, as_of: datetime | None) -> None:
    """Load statements stored since the last refresh into the warehouse."""
    settings = _settings()
    store = open_store(settings.resolved_store_url)
    store.init()
    try:
        result = refresh(
            store,
            warehouse_for(settings),
            secret_for(settings),
            full=full,
            as_of=as_of.date() if as_of else None,
            batch_size=settings.etl_batch_size,
        )
        audit_cli(store, "analytics.refresh", result.as_dict())
    except LRSError as exc:
        _fail(exc)
    finally:
        store.close()
    click.echo(json.dumps(result.as_dict()))


@analytics.command("unmatched")
def unmatched_cmd() -> None:
    """List actors whose statements match no staff identity (admin: shows the IFIs)."""
    try:
        rows = unmatched(warehouse_for(_settings()))
    except LRSError as exc:
        _fail(exc)
    audit_settings(_settings(), "analytics.unmatched", {"actors": len(rows)})
    click.echo(f"{len(rows)} unmatched actor(s)")
    for row in rows:
        click.echo(f"{row['statements']:>8}  {row['actor_key']}  {row['ifi'] or '?'}")


@analytics.command("seed-path")
@click.argument("kind", type=click.Choice(sorted(SEED_FILES)))
def seed_path_cmd(kind: str) -> None:
    """Print where a shipped seed CSV is installed (to import or adapt it)."""
    click.echo(str(seed_path(kind)))


@main.command("import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Load nothing when any row is bad.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Default: from the file extension (.jsonl/.ndjson → jsonl, else csv).",
)
def import_cmd(kind: str, file: Path, strict: bool, fmt: str | None) -> None:
    """Import a CSV or JSON Lines FILE of KIND into the warehouse (upsert on the kind's key)."""
    settings = _settings()
    fmt = fmt or ("jsonl" if file.suffix.lower() in {".jsonl", ".ndjson"} else "csv")
    report = import_file(
        warehouse_for(settings), kind, file.read_bytes(), fmt, secret_for(settings), strict=strict
    )
    audit_settings(settings, "analytics.import", {"file": file.name, **import_detail(report)})
    for err in report.errors:
        click.echo(f"{file}:{err['line']}: {err['column'] or '-'}: {err['reason']}", err=True)
    if report.refused:
        raise click.ClickException(f"refused: {report.refused}")
    click.echo(
        f"{kind}: read {report.read}, loaded {report.loaded}, "
        f"rejected {report.as_dict()['rejected']}"
        + (" (strict: nothing loaded)" if strict and report.errors else "")
    )
    if report.errors:
        sys.exit(1)


@main.command("sql")
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--identity", is_flag=True, help="Also attach the identity map (admin).")
def sql_cmd(query: str, fmt: str, out: Path | None, identity: bool) -> None:
    """Run one read-only SELECT on the warehouse (row cap and time limit from settings)."""
    settings = _settings()
    audit_settings(settings, "analytics.sql", {"sql": query, "identity": identity})
    try:
        result = run_sql(
            warehouse_for(settings),
            query,
            row_cap=settings.sql_row_cap,
            timeout_s=settings.sql_timeout_s,
            identity=identity,
        )
    except LRSError as exc:
        _fail(exc)
    data = result.render(fmt)
    if out is not None:
        out.write_bytes(data)
    elif fmt == "parquet":
        raise click.ClickException("--format parquet needs --out FILE")
    else:
        click.echo(data.decode(), nl=not data.endswith(b"\n"))
    if result.truncated:
        click.echo(f"(truncated at {settings.sql_row_cap} rows)", err=True)


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
def export_cmd(fmt: str, directory: Path | None) -> None:
    """Write the warehouse tables as Parquet into DIRECTORY (default: <data_dir>/exports)."""
    settings = _settings()
    directory = directory or settings.data_dir / "exports"
    try:
        written = export_parquet(warehouse_for(settings), directory)
    except LRSError as exc:
        _fail(exc)
    audit_settings(_settings(), "analytics.export", {"directory": str(directory), "items": written})
    click.echo(f"wrote {len(written)} item(s) to {directory}: {', '.join(written)}")
