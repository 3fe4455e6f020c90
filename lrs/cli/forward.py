"""``lrs forward add|list|remove|status|retry|run``: feed other LRSs from this one."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import click

from config.settings import Settings
from lrs.cli.core import main
from lrs.extensions import system_clock_us
from lrs.interop.destinations import describe, new_destination
from lrs.interop.forward import Forwarder, Policy
from statements.errors import LRSError
from statements.interop.store import interop_store
from statements.store import open_store


def _open() -> tuple[Any, Any, Settings]:
    settings = Settings.from_env()
    store = open_store(settings.resolved_store_url)
    store.init()
    return store, interop_store(store), settings


def _forwarder() -> Forwarder:
    store, fwd, settings = _open()
    return Forwarder(store, fwd, system_clock_us, Policy.from_settings(settings))


@main.group()
def forward() -> None:
    """Forward statements to other LRSs (durable outbox, retries, dead letters)."""


@forward.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The target's xAPI endpoint, e.g. https://lrs/xapi/.")
@click.option("--key", required=True, help="HTTP Basic key at the target.")
@click.option("--secret", required=True, help="HTTP Basic secret at the target.")
@click.option("--version", "version", type=click.Choice(["1.0.3", "2.0.0"]), default="1.0.3")
@click.option("--verb", default=None, help="Only statements with this verb id.")
@click.option("--activity-prefix", default=None, help="Only objects whose id starts so.")
@click.option("--authority", default=None, help="Only this authority (Agent JSON).")
@click.option("--batch", "batch_size", type=int, default=100, help="Statements per request.")
@click.option("--from-start", is_flag=True, help="Also send every statement already stored.")
def forward_add(name: str, from_start: bool, authority: str | None, **opts: Any) -> None:
    """Add a destination; it receives statements stored from now on (or all: --from-start)."""
    _store, fwd, _settings = _open()
    spec = {"name": name, **{k: v for k, v in opts.items() if v is not None}}
    try:
        if authority is not None:
            spec["authority"] = json.loads(authority)
        dest = new_destination(
            spec, watermark=0 if from_start else fwd.max_seq(), now_us=system_clock_us()
        )
        fwd.add_destination(dest)
    except (LRSError, ValueError) as exc:
        raise click.ClickException(str(getattr(exc, "message", exc))) from exc
    click.echo(f"added {name} -> {dest.url} (from seq {dest.watermark})")


@forward.command("list")
def forward_list() -> None:
    """List destinations: name, URL, filter, watermark."""
    _store, fwd, _settings = _open()
    for d in fwd.list_destinations():
        flt = (
            " ".join(f"{k}={v}" for k, v in d.public()["filter"].items() if v is not None) or "all"
        )
        click.echo(f"{d.name}\t{d.url}\t{d.version}\t{flt}\tseq>{d.watermark}")


@forward.command("remove")
@click.argument("name")
def forward_remove(name: str) -> None:
    """Remove a destination (and its dead letters)."""
    _store, fwd, _settings = _open()
    if not fwd.remove_destination(name):
        raise click.ClickException(f"no destination {name}")
    click.echo(f"removed {name}")


@forward.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def forward_status(as_json: bool) -> None:
    """Outbox depth, lag, failures and dead letters of every destination."""
    forwarder = _forwarder()
    rows = [describe(forwarder.status(d)) for d in forwarder.fwd.list_destinations()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['name']}: depth {r['outbox_depth']}, lag {r['lag_seconds']}s, delivered "
            f"{r['delivered']}, failures {r['failures']}, attempts {r['attempts']}, dead "
            f"{r['dead_letters']}, queued {r['queued_retries']}, last error {r['last_error']}"
        )


@forward.command("retry")
@click.argument("name")
def forward_retry(name: str) -> None:
    """Queue a destination's dead letters again and retry it now (no backoff wait)."""
    _store, fwd, _settings = _open()
    dest = fwd.get_destination(name)
    if dest is None:
        raise click.ClickException(f"no destination {name}")
    queued = fwd.queue_retries(name)
    dest.next_attempt_us, dest.attempts = 0, 0
    fwd.save_destination(dest)
    click.echo(f"queued {queued} dead letters of {name} for delivery")


@forward.command("run")
@click.option("--once", is_flag=True, help="Deliver until nothing is due, then exit.")
def forward_run(once: bool) -> None:
    """The delivery worker (run one per store, e.g. as a systemd service)."""
    forwarder = _forwarder()
    poll = Settings.from_env().forward_poll_s
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        try:
            sent = forwarder.run_once()
        except LRSError as exc:  # store busy or unreachable: wait and go on
            click.echo(f"forwarding paused: {exc}", err=True)
            sent = 0
        if sent:
            click.echo(f"delivered {sent}")
            continue
        if once:
            return
        time.sleep(poll)  # idle polling interval of a daemon, not test ordering
