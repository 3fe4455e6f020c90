"""``lrs demo …``: the seeded synthetic hospital with planted signals (ANALYTICS.md §10)."""

from __future__ import annotations

import time
from datetime import date

import click

from analytics.demo.generate import (
    DEFAULT_END,
    DEFAULT_MONTHS,
    DEFAULT_STAFF,
    GENERATE_STEPS,
    generate,
)
from lrs.cli.core import main


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
