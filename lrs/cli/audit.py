"""``lrs audit``: print the audit log (optionally from a date, for one actor) and verify it."""

from __future__ import annotations

import json

import click

from lrs.audit import chain_status, parse_since
from lrs.cli.core import _settings, _store, main
from statements.errors import LRSError
from statements.timefmt import format_us


@main.command("audit")
@click.option("--since", default=None, help="ISO 8601 date or date-time (UTC when no offset).")
@click.option("--actor", default=None, help="Only entries of this actor (credential key, cli:…).")
@click.option("--verify", is_flag=True, help="Verify the whole hash chain; exit 1 if broken.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit(since: str | None, actor: str | None, verify: bool, as_json: bool) -> None:
    """Who did what and when: credential changes, imports, refreshes, SQL, exports, erasures."""
    store = _store(_settings())
    try:
        since_us = parse_since(since) if since else None
    except LRSError as exc:
        raise click.BadParameter(exc.message, param_hint="--since") from exc
    for entry in store.list_audit(since_us=since_us, actor=actor):  # type: ignore[attr-defined]
        if as_json:
            click.echo(json.dumps(entry.as_dict(), sort_keys=True))
        else:
            detail = json.dumps(entry.detail, sort_keys=True, ensure_ascii=False)
            click.echo(
                f"{entry.seq}\t{format_us(entry.at_us)}\t{entry.actor}\t{entry.action}\t{detail}"
            )
    if verify:
        status = chain_status(store)
        if not status["intact"]:
            click.echo(f"audit chain BROKEN at entry {status['first_broken']}", err=True)
            raise SystemExit(1)
        click.echo(f"audit chain intact: {status['entries']} entries, head {status['head']}")
