"""``lrs erase --agent JSON``: the right to be forgotten (needs ``LRS_ALLOW_ERASURE=true``)."""

from __future__ import annotations

import json

import click

from analytics.erasure import erase_agent
from analytics.resources import secret_for, warehouse_for
from lrs.cli.actor import audit_cli
from lrs.cli.core import _settings, _store, main
from statements.errors import LRSError


@main.command("erase")
@click.option("--agent", "agent_json", required=True, help='Agent JSON, e.g. {"mbox": "mailto:…"}.')
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(agent_json: str, yes: bool) -> None:
    """Erase an agent's statements, documents, attachments and warehouse rows (audited)."""
    settings = _settings()
    if not settings.allow_erasure:
        raise click.ClickException("erasure is disabled: set LRS_ALLOW_ERASURE=true to allow it")
    try:
        agent = json.loads(agent_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--agent") from exc
    if not yes:
        click.confirm(
            "Erase everything the LRS holds about this agent? This cannot be undone", abort=True
        )
    store = _store(settings)
    try:
        report = erase_agent(store, warehouse_for(settings), secret_for(settings), agent)
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    audit_cli(store, "erasure", report.as_dict())
    for name, count in report.counts.items():
        click.echo(f"{name}: {count}")
