"""``lrs migrate --from URL --to URL``: copy a whole LRS between backends, resumable, verified."""

from __future__ import annotations

import sys

import click

from lrs.cli.core import main
from statements.errors import LRSError
from statements.store import open_store
from statements.store.migrate import Inventory, copy_statements, copy_the_rest, inventory


def _table(source: Inventory, dest: Inventory) -> list[str]:
    lines = [f"{'':12} {'source':>12} {'destination':>12}"]
    for kind, count in source.counts().items():
        other = dest.counts()[kind]
        mark = "" if other == count else "  MISMATCH"
        lines.append(f"{kind:12} {count:>12} {other:>12}{mark}")
    lines.append(f"checksum source      {source.checksum}")
    lines.append(f"checksum destination {dest.checksum}")
    return lines


@main.command()
@click.option("--from", "source_url", required=True, help="Store to copy from (sqlite:///…).")
@click.option("--to", "dest_url", required=True, help="Store to copy to (mongodb://…).")
@click.option("--batch", "batch_size", type=click.IntRange(1, 100_000), default=500)
def migrate(source_url: str, dest_url: str, batch_size: int) -> None:
    """Copy every statement, attachment, document, credential, Activity and Agent.

    Run it again after an interruption: what the destination already holds is skipped. Ends
    by comparing counts and a checksum of statement ids; exits 1 on any difference.
    """
    if source_url == dest_url:
        raise click.BadParameter("source and destination are the same store", param_hint="--to")
    try:
        src, dst = open_store(source_url), open_store(dest_url)
        src.init()
        dst.init()
        before = inventory(src, batch_size)
        with click.progressbar(length=before.statements, label="statements") as bar:
            copied = copy_statements(src, dst, batch_size, progress=bar.update)
        click.echo(f"copied {copied} statements; copying documents, credentials, agents …")
        copy_the_rest(src, dst, batch_size)
        after = inventory(dst, batch_size)
    except LRSError as exc:
        click.echo(f"migration failed: {exc}", err=True)
        sys.exit(2)
    for line in _table(before, after):
        click.echo(line)
    if before != after:
        click.echo("verification FAILED: the stores differ", err=True)
        sys.exit(1)
    click.echo("verification ok")
