"""``lrs pull --from URL --key K --secret S``: import another LRS's statements and documents."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click

from config.settings import Settings
from lrs.cli.core import main
from lrs.extensions import system_clock_us
from lrs.interop.client import TransportError, XapiClient
from lrs.interop.importer import Importer, Rejected
from lrs.interop.pull import Puller, PullError, PullState
from lrs.interop.pull.docs import owners_since, pull_documents
from statements.errors import LRSError
from statements.interop.store import interop_store
from statements.store import open_store

FILTERS = ("verb", "activity", "agent", "registration", "related_activities", "related_agents")


def _params(since: str | None, until: str | None, filters: tuple[str, ...]) -> dict[str, str]:
    params = {k: v for k, v in (("since", since), ("until", until)) if v}
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or name not in FILTERS:
            raise click.BadParameter(
                f"use NAME=VALUE with NAME in {', '.join(FILTERS)}", param_hint="--filter"
            )
        params[name] = value
    return params


def _bad(rejected: Rejected) -> None:
    click.echo(json.dumps({"refused": rejected.as_dict()}), err=True)


def _progress(state: PullState) -> None:
    click.echo(
        f"\rpage {state.pages}: {state.listed} listed, {state.stored} stored, "
        f"{state.existing} already here, {state.refused} refused",
        nl=False,
        err=True,
    )


@main.command()
@click.option("--from", "source", required=True, help="The source's xAPI endpoint URL.")
@click.option("--key", required=True, help="HTTP Basic key at the source.")
@click.option("--secret", required=True, help="HTTP Basic secret at the source.")
@click.option("--since", default=None, help="Only statements stored after this (ISO 8601).")
@click.option("--until", default=None, help="Only statements stored up to this (ISO 8601).")
@click.option("--filter", "filters", multiple=True, help="Query filter NAME=VALUE (repeatable).")
@click.option("--version", type=click.Choice(["1.0.3", "2.0.0"]), default="1.0.3")
@click.option("--page-size", type=click.IntRange(1, 10_000), default=500)
@click.option("--documents/--no-documents", default=True, help="Also pull documents.")
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path),
    default=None,
    help="Resume file (default: <data dir>/pull-<hash>.json).",
)
def pull(
    source: str,
    key: str,
    secret: str,
    since: str | None,
    until: str | None,
    filters: tuple[str, ...],
    version: str,
    page_size: int,
    documents: bool,
    checkpoint: Path | None,
) -> None:
    """Import every statement (voided ones too) and document from another LRS; resumable."""
    settings = Settings.from_env()
    params = _params(since, until, filters)
    digest = hashlib.sha256(json.dumps([source, key, params]).encode()).hexdigest()[:12]
    ckpt = checkpoint or settings.data_dir / f"pull-{digest}.json"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.resolved_store_url)
    store.init()
    client = XapiClient(source, key, secret, version)
    authority = {
        "objectType": "Agent",
        "name": "lrs pull",
        "account": {"homePage": client.endpoint, "name": key},
    }
    importer = Importer(
        store, interop_store(store), authority, client.endpoint, system_clock_us, version
    )
    puller = Puller(client, importer, ckpt, _bad, _progress)
    try:
        state = puller.run(params, page_size)
        click.echo("", err=True)
        docs = 0
        if documents:
            owners = owners_since(store, state.first_seq or 0)
            docs = pull_documents(client, store, owners, system_clock_us())
    except (PullError, TransportError, LRSError) as exc:
        click.echo(f"\npull stopped (run it again to resume): {exc}", err=True)
        sys.exit(2)
    _summary(state, docs, ckpt)


def _summary(state: PullState, docs: int, ckpt: Path) -> None:
    click.echo(f"statements listed by the source: {state.listed} in {state.pages} pages")
    click.echo(f"stored {state.stored}, already here {state.existing}, refused {state.refused}")
    click.echo(f"documents copied: {docs}")
    click.echo(f"count    source {state.listed}  here {state.found}")
    click.echo(f"checksum source {state.source_checksum}")
    click.echo(f"checksum here   {state.local_checksum}")
    if not state.verified:
        click.echo("verification FAILED: some statements the source served are not here", err=True)
        sys.exit(1)
    ckpt.unlink(missing_ok=True)
    click.echo("verification ok")
