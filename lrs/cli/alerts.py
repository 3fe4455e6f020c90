"""``lrs alerts subscribe|list|remove|retry|deadletters|run``: who is told, and telling them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

import click

from config.settings import Settings
from lrs.cli.core import main
from lrs.extensions import system_clock_us
from statements.alerts.spec import new_subscription
from statements.alerts.store import alerts_store
from statements.errors import LRSError
from statements.store import open_store


def _open() -> tuple[Any, Any, Settings]:
    settings = Settings.from_env()
    store = open_store(settings.resolved_store_url)
    store.init()
    return store, alerts_store(store), settings


@main.group()
def alerts() -> None:
    """Alerts to quality leaders: subscriptions, the outbox, dead letters."""


@alerts.command("subscribe")
@click.option("--email", default=None, help="Send email to this address.")
@click.option("--webhook", default=None, help="POST JSON to this URL.")
@click.option("--secret", default=None, help="Webhook HMAC-SHA256 secret (>= 16 characters).")
@click.option(
    "--format", "fmt", type=click.Choice(["generic", "slack", "teams"]), default="generic"
)
@click.option("--owner", default="cli", help="Who the subscription belongs to.")
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option("--service-line", "service_lines", multiple=True, help="Only this service line.")
@click.option("--department", "departments", multiple=True, help="Only this department id.")
@click.option("--competency", "competencies", multiple=True, help="Only this competency id.")
@click.option("--kind", "kinds", multiple=True, help="Only this event kind (e.g. flag_priority).")
@click.option("--min-severity", type=click.Choice(["low", "medium", "high"]), default="low")
@click.option("--immediate/--no-immediate", default=True, help="Send each event at once.")
@click.option("--digest/--no-digest", default=True, help="Include events in the weekly digest.")
@click.option("--staff-level", is_flag=True, help="Staff-level detail (operator: allowed).")
def subscribe(email: str | None, webhook: str | None, owner: str, **opts: Any) -> None:
    """Subscribe an email address or a webhook to events (filters narrow it down)."""
    if (email is None) == (webhook is None):
        raise click.UsageError("give exactly one of --email or --webhook")
    _store, store_alerts, _settings = _open()
    spec = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items() if v is not None}
    spec["format"] = spec.pop("fmt")
    spec.update(channel="email" if email else "webhook", target=email or webhook)
    try:
        sub = new_subscription(spec, owner=owner, now_us=system_clock_us(), may_staff=True)
        store_alerts.add_subscription(sub)
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"subscribed {sub.id}: {sub.channel} {sub.target}")


@alerts.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_cmd(as_json: bool) -> None:
    """List subscriptions: id, owner, channel, target, filters."""
    _store, store_alerts, _settings = _open()
    for sub in store_alerts.list_subscriptions():
        pub = sub.public()
        if as_json:
            click.echo(json.dumps(pub))
            continue
        filters = [
            f"{k}={','.join(pub[k])}"
            for k in ("sites", "service_lines", "departments", "competencies", "kinds")
            if pub[k]
        ]
        mode = "+".join(m for m in ("immediate", "digest") if pub[m])
        click.echo(
            f"{sub.id}\t{sub.owner}\t{sub.channel}\t{sub.target}\t{mode}\t"
            f">={sub.min_severity}\t{' '.join(filters) or 'all'}"
        )


@alerts.command("remove")
@click.argument("sub_id")
def remove(sub_id: str) -> None:
    """Remove a subscription (and its undelivered alerts)."""
    _store, store_alerts, _settings = _open()
    if not store_alerts.remove_subscription(sub_id):
        raise click.ClickException(f"no subscription {sub_id}")
    click.echo(f"removed {sub_id}")


@alerts.command("deadletters")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def deadletters(as_json: bool) -> None:
    """Deliveries that ran out of attempts: id, subscription, attempts, last error."""
    _store, store_alerts, _settings = _open()
    for item in store_alerts.list_items(state="dead"):
        if as_json:
            click.echo(json.dumps(item.__dict__))
        else:
            click.echo(f"{item.id}\t{item.subscription_id}\t{item.attempts}\t{item.last_error}")


@alerts.command("retry")
@click.argument("sub_id", required=False)
def retry(sub_id: str | None) -> None:
    """Queue dead deliveries (of one subscription, or all) again; `lrs alerts run` sends them."""
    _store, store_alerts, _settings = _open()
    click.echo(f"queued {store_alerts.retry_dead(sub_id)} dead deliveries again")


@alerts.command("run")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Detect events as of this day (default: now).",
)
def run(as_of: datetime | None) -> None:
    """One pass: detect events, decide, queue digests (on the digest weekday), deliver."""
    from analytics.notify.alerts import run_pass
    from analytics.resources import warehouse_for

    store, _alerts, settings = _open()
    now = datetime.combine(as_of.date(), time(12), tzinfo=UTC) if as_of else datetime.now(UTC)
    try:
        counts = run_pass(store, warehouse_for(settings), settings, now)
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(json.dumps(counts))
