"""``lrs analytics models``, ``lrs analytics cleared`` and ``lrs demo load``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import click

from analytics.demo.load import BATCH_SIZE, load_demo, truth_of
from analytics.model_settings import from_settings
from analytics.monthly import frame
from analytics.resources import secret_for, warehouse_for
from analytics.run_models import run_models
from config.settings import Settings
from lrs.cli.analytics import analytics
from lrs.cli.demo import demo
from lrs.credentials import authority_for
from statements.errors import LRSError
from statements.store import open_store

DATE = click.DateTime(formats=["%Y-%m-%d"])


@analytics.command("models")
@click.option("--as-of", type=DATE, default=None, help="Compute as of this day (default today).")
def models_cmd(as_of: datetime | None) -> None:
    """Recompute compliance, readiness, flags and incident linkage into the warehouse."""
    settings = Settings.from_env()
    try:
        summary = run_models(
            warehouse_for(settings), as_of.date() if as_of else None, *from_settings(settings)
        )
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(json.dumps(summary.as_dict()))
    echo_warnings(summary.warnings)


def echo_warnings(warnings: list[dict[str, str]]) -> None:
    """Each model warning on stderr, loudly (also in the JSON summary and ``model_warnings``)."""
    for w in warnings:
        detail = f" ({w['detail']})" if w.get("detail") else ""
        click.secho(
            f"{w['severity'].upper()} [{w['code']}]: {w['message']}{detail}",
            err=True,
            fg="red" if w["severity"] == "error" else "yellow",
        )


@analytics.command("cleared")
@click.option("--task", required=True, help="Regulated task id.")
@click.option("--date", "on", type=DATE, required=True, help="Day to evaluate (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
def cleared_cmd(task: str, on: datetime, fmt: str) -> None:
    """Who is cleared for TASK on DATE, with the evidence ids each answer relied on."""
    settings = Settings.from_env()
    warehouse = warehouse_for(settings)
    day = on.date()
    summary = None
    try:
        with warehouse.read() as conn:
            ran = frame(conn, "SELECT max(as_of) AS d FROM model_runs WHERE as_of = ?", [day])
        if ran["d"][0] is None:
            summary = run_models(warehouse, day, *from_settings(settings))
        with warehouse.read() as conn:
            rows = frame(
                conn,
                "SELECT person_key, cleared, evidence_ids FROM cleared "
                "WHERE task_id = ? AND as_of = ? ORDER BY person_key",
                [task, day],
            )
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    if rows.is_empty():
        raise click.ClickException(f"--task: unknown regulated task {task!r} (or nobody staffed)")
    if fmt == "json":
        payload = {"task_id": task, "date": day.isoformat(), "people": rows.to_dicts()}
        click.echo(json.dumps(payload))
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["person_key", "cleared", "evidence_ids"])
        for r in rows.iter_rows():
            writer.writerow([r[0], str(r[1]).lower(), "|".join(r[2] or [])])
        click.echo(out.getvalue(), nl=False)
    if summary is not None:
        click.echo(f"(models computed as of {day})", err=True)


@demo.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True)
@click.option("--no-models", is_flag=True, help="Skip the model run after loading.")
def load_cmd(directory: Path, batch_size: int, no_models: bool) -> None:
    """Load a generated hospital: statements via the store, imports, refresh, models."""
    settings = Settings.from_env()
    store = open_store(settings.resolved_store_url)
    store.init()
    truth = truth_of(directory)
    total = int(truth.get("counts", {}).get("statements", 0))
    try:
        # One bar for both passes over the statements: storing them, then the warehouse refresh.
        with click.progressbar(length=2 * total, label="store + refresh") as bar:
            report = load_demo(
                store,
                warehouse_for(settings),
                directory,
                secret_for(settings),
                authority_for("demo-loader", "lrs demo load"),
                batch_size=batch_size,
                progress=bar.update,
                refresh_progress=bar.update,
            )
    finally:
        store.close()
    click.echo(json.dumps(report.as_dict()))
    if not no_models:
        end = date.fromisoformat(truth["window"]["end"])
        with click.progressbar(length=3, label="models (read, compute, write)") as steps:
            summary = run_models(
                warehouse_for(settings), end, *from_settings(settings), progress=steps.update
            )
        click.echo(json.dumps(summary.as_dict()))
        echo_warnings(summary.warnings)
