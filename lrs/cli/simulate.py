"""``lrs simulate …``: the second, independent synthetic hospital (Harbor, ANALYTICS.md §10)."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import click

from analytics.model_settings import from_settings
from analytics.resources import secret_for, warehouse_for
from analytics.run_models import run_models
from analytics.simulate.harbor.generate import DEFAULT_END, DEFAULT_MONTHS, DEFAULT_STAFF, generate
from analytics.simulate.load import load_simulated
from config.settings import Settings
from lrs.cli.core import main
from lrs.credentials import authority_for
from statements.store import open_store


@main.group()
def simulate() -> None:
    """Harbor Health: a hospital simulator designed apart from the demo, with planted truth."""


@simulate.command("generate")
@click.option("--seed", type=int, default=0, show_default=True, help="RNG seed.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option(
    "--staff",
    type=click.IntRange(min=100),
    default=DEFAULT_STAFF,
    show_default=True,
    help="Approximate headcount (planted units keep their size; the others scale).",
)
@click.option("--months", type=click.IntRange(min=18), default=DEFAULT_MONTHS, show_default=True)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=DEFAULT_END.isoformat(),
    show_default=True,
    help="Last simulated day (the last day of a month).",
)
def generate_cmd(seed: int, out: str, staff: int, months: int, end: datetime) -> None:
    """Write import CSVs, statements.jsonl, arrivals.txt and manifest.json."""
    day: date = end.date()
    started = time.perf_counter()
    written = generate(out, seed=seed, staff=staff, months=months, end=day)
    took = time.perf_counter() - started
    click.echo(f"wrote {written.out} in {took:.1f} s (seed {seed})")
    click.echo(f"  people: {written.people}  statements: {written.statements}")
    for kind, count in written.rows.items():
        click.echo(f"  {kind}.csv: {count} rows")


@simulate.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--no-models", is_flag=True, help="Skip the model run after loading.")
def load_cmd(directory: Path, batch_size: int, no_models: bool) -> None:
    """Load a simulated hospital: statements via the store, imports, refresh, models."""
    settings = Settings.from_env()
    if not (directory / "manifest.json").exists():
        raise click.ClickException(f"{directory}: no manifest.json (not a simulated hospital)")
    store = open_store(settings.resolved_store_url)
    store.init()
    try:
        report = load_simulated(
            store,
            warehouse_for(settings),
            directory,
            secret_for(settings),
            authority_for("simulate-loader", "lrs simulate load"),
            batch_size=batch_size,
        )
    finally:
        store.close()
    click.echo(json.dumps(report.as_dict()))
    if not no_models:
        end = date.fromisoformat(str(report.end))
        summary = run_models(warehouse_for(settings), end, *from_settings(settings))
        click.echo(json.dumps(summary.as_dict()))
