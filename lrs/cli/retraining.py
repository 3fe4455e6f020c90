"""``lrs analytics retraining``: who needs retraining, as JSON lines or LMS bulk-assignment CSV."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from analytics.notify.retraining import REASONS, protocol_change_list, retraining_list, to_csv
from analytics.resources import warehouse_for
from config.settings import Settings
from lrs.cli.actor import audit_settings
from lrs.cli.analytics import analytics
from statements.errors import LRSError

DATE = click.DateTime(formats=["%Y-%m-%d"])


@analytics.command("retraining")
@click.option("--department", "department", default=None, help="Department id.")
@click.option("--competency", "competency", default=None, help="Competency id.")
@click.option(
    "--reason", "reasons", multiple=True, type=click.Choice(REASONS), help="Keep these reasons."
)
@click.option("--due-within", type=click.IntRange(0, 3650), default=None, help="Days (due_soon).")
@click.option("--as-of", type=DATE, default=None, help="Must be the last model run's date.")
@click.option("--change-date", type=DATE, default=None, help="A protocol change of --competency.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def retraining_cmd(
    department: str | None,
    competency: str | None,
    reasons: tuple[str, ...],
    due_within: int | None,
    as_of: datetime | None,
    change_date: datetime | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Staff who need retraining (with names and evidence ids; audited as a staff-level read)."""
    settings = Settings.from_env()
    warehouse = warehouse_for(settings)
    day = as_of.date() if as_of else None
    try:
        if change_date is not None:
            if not competency:
                raise click.UsageError("--change-date needs --competency")
            rows = protocol_change_list(
                warehouse, competency, change_date.date(), day, department_id=department,
                identity=True,
            )  # fmt: skip
        else:
            due = settings.retraining_due_days if due_within is None else due_within
            rows = retraining_list(
                warehouse, department, competency, day, reasons, due_within_days=due, identity=True
            )
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    detail = {"endpoint": "cli.retraining", "department_id": department, "rows": len(rows)}
    audit_settings(settings, "analytics.staff_read", {**detail, "competency_id": competency})
    text = to_csv(rows) if fmt == "csv" else "".join(json.dumps(r) + "\n" for r in rows)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"{len(rows)} rows -> {out}", err=True)
