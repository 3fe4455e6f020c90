"""``lrs demo …``: the seeded synthetic hospital with planted signals (ANALYTICS.md §10)."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

import click

from analytics.demo.generate import (
    DEFAULT_END,
    DEFAULT_MONTHS,
    DEFAULT_STAFF,
    GENERATE_STEPS,
    generate,
)
from config.settings import Settings
from lrs.cli.core import main
from lrs.cli.demo.run import CREDENTIAL_FILE, LOADING_FILE, SOURCE_DIR
from statements.store.sqlite import store_files


@main.group()
def demo() -> None:
    """Synthetic hospital data for demos, tests and benchmarks."""


@demo.command("generate")
@click.option("--seed", type=int, default=0, show_default=True, help="RNG seed.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write (created if missing).",
)
@click.option(
    "--staff",
    type=click.IntRange(min=20),
    default=DEFAULT_STAFF,
    show_default=True,
    help="Initial headcount (leavers are replaced).",
)
@click.option(
    "--months",
    type=click.IntRange(min=12),
    default=DEFAULT_MONTHS,
    show_default=True,
    help="Window length in months.",
)
@click.option(
    "--end",
    "end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=DEFAULT_END.isoformat(),
    show_default=True,
    help="Last simulated day (YYYY-MM-DD).",
)
def generate_command(seed: int, out: str, staff: int, months: int, end: object) -> None:
    """Write the import CSVs, statements.jsonl and truth.json of a synthetic hospital."""
    end_date = end.date() if hasattr(end, "date") else date.fromisoformat(str(end))
    started = time.perf_counter()
    with click.progressbar(length=GENERATE_STEPS, label="generating") as bar:
        summary = generate(
            out, seed=seed, staff=staff, months=months, end=end_date, progress=bar.update
        )
    took = time.perf_counter() - started
    click.echo(f"wrote {summary.out} in {took:.1f} s (seed {summary.seed})")
    click.echo(
        f"  staff: {summary.staff}  attempts: {summary.attempts}  statements: {summary.statements}"
    )
    for kind, count in summary.rows.items():
        click.echo(f"  {kind}.csv: {count} rows")


@demo.command("remove")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_command(yes: bool) -> None:
    """Leave the demo: delete the store, warehouse and demo files of LRS_DATA_DIR (SQLite).

    Stop the server first. Everything in that store goes, including anything added to it while
    the demo was loaded; the next ``lrs start`` finds an empty store.
    """
    settings = Settings.from_env()
    try:
        doomed = demo_files(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(
            f"Delete the demo store and warehouse in {settings.data_dir} (stop the server first)?",
            abort=True,
        )
    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    click.echo(f"demo removed from {settings.data_dir}; `lrs start` now starts on an empty store")


def demo_files(settings: Settings) -> list[Path]:
    """The files ``lrs demo remove`` deletes; ValueError when there is no demo to remove."""
    data_dir = settings.data_dir
    if not (data_dir / CREDENTIAL_FILE).exists() and not (data_dir / SOURCE_DIR).exists():
        raise ValueError(f"no demo in {data_dir} (no {CREDENTIAL_FILE})")
    url = settings.resolved_store_url
    if not url.startswith("sqlite:///"):
        raise ValueError(f"the demo store is {url}: drop that database to leave the demo")
    store = Path(url[len("sqlite:///") :])
    warehouse = settings.resolved_warehouse_path
    identity = warehouse.with_name(warehouse.stem + ".identity.duckdb")
    files = [*store_files(store), warehouse, identity]
    files += [p.with_name(p.name + s) for p in (warehouse, identity) for s in (".wal", ".lock")]
    files += [data_dir / n for n in (CREDENTIAL_FILE, LOADING_FILE, SOURCE_DIR)]
    return [p for p in files if p.exists()]
