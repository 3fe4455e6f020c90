"""The ``lrs`` command: serve, init and credentials (more commands join as features land)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

import config
from config.settings import Settings
from lrs.cli.actor import audit_cli
from lrs.cli.lazy import LazyGroup
from lrs.credentials import (
    SCOPES,
    expired,
    hash_secret,
    new_credential,
    new_secret,
    parse_expiry,
)
from lrs.extensions import system_clock_us
from statements.errors import LRSError
from statements.store import open_store


def _settings() -> Settings:
    return Settings.from_env()


def _store(settings: Settings) -> object:
    store = open_store(settings.resolved_store_url)
    store.init()
    return store


@click.group(cls=LazyGroup)
def main() -> None:
    """Readiness LRS: an xAPI 1.0.3 / 2.0 Learning Record Store."""


@main.command()
def init() -> None:
    """Create the store, its tables and indexes (idempotent)."""
    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _store(settings)
    click.echo(f"store ready: {settings.resolved_store_url}")


@main.command()
@click.option("--host", default=None, help="Bind address (LRS_HOST).")
@click.option("--port", type=int, default=None, help="Port (LRS_PORT).")
@click.option("--workers", type=int, default=None, help="Gunicorn workers (LRS_WORKERS).")
@click.option("--dev", is_flag=True, help="Flask's single-process development server.")
def serve(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the LRS (gunicorn, or Flask's dev server with --dev)."""
    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    env = dict(os.environ, LRS_HOST=host, LRS_PORT=str(port))
    if workers:
        env["LRS_WORKERS"] = str(workers)
    base = f"http://{host}:{port}"
    click.echo(f"Readiness LRS on {base}")
    click.echo(f"  xAPI endpoint: {base}/xapi/")
    click.echo(f"  store:         {settings.resolved_store_url}")
    _bootstrap_admin(settings)
    if not _store_has_credentials(settings):
        click.echo("  no credentials yet; create one with:")
        click.echo("    .venv/bin/lrs credentials add --name admin --scope all")
    if dev:
        from lrs.app import create_app

        create_app(settings).run(host=host, port=port, debug=True)
        return
    conf = Path(config.__file__).parent / "gunicorn.conf.py"
    args = [sys.executable, "-m", "gunicorn", "-c", str(conf), "lrs.app:create_app()"]
    os.execve(sys.executable, args, env)


def _bootstrap_admin(settings: Settings) -> None:
    from lrs.people.admin import ensure_bootstrap_admin

    made = ensure_bootstrap_admin(_store(settings), system_clock_us())
    if made is not None:
        person, password = made
        click.echo("  first start: the dashboards' bootstrap admin (shown ONCE, never again):")
        click.echo(f"    email {person.email}   password {password}")
        click.echo("    change it: .venv/bin/lrs people reset-password admin@localhost")


def _store_has_credentials(settings: Settings) -> bool:
    store = _store(settings)
    return bool(store.list_credentials())  # type: ignore[attr-defined]


@main.group()
def credentials() -> None:
    """Manage API credentials (HTTP Basic key/secret with xAPI scopes)."""


@credentials.command("add")
@click.option("--name", required=True, help="Who or what uses this credential.")
@click.option("--key", default=None, help="Key (username); random when omitted.")
@click.option("--secret", default=None, help="Secret (password); random when omitted.")
@click.option(
    "--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES), help="Repeatable."
)
@click.option(
    "--expires",
    default=None,
    help="Expiry: ISO 8601 date (00:00 UTC that day) or date-time; never when omitted.",
)
def credentials_add(
    name: str, key: str | None, secret: str | None, scopes: tuple[str, ...], expires: str | None
) -> None:
    """Create a credential and print its key and secret (the secret is stored hashed)."""
    store = _store(_settings())
    try:
        cred, clear = new_credential(
            name, scopes, system_clock_us(), key=key, secret=secret, expires=parse_expiry(expires)
        )
        store.add_credential(cred)  # type: ignore[attr-defined]
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    audit_cli(
        store,
        "credential.add",
        {"key": cred.key, "name": name, "scopes": list(cred.scopes), "expires": cred.expires},
    )
    click.echo(f"key:     {cred.key}")
    click.echo(f"secret:  {clear}")
    click.echo(f"scopes:  {' '.join(cred.scopes)}")
    click.echo(f"expires: {cred.expires or 'never'}")


#: the header row of ``lrs credentials list`` (tab-separated, like its rows).
CREDENTIAL_COLUMNS = ("key", "name", "scopes", "created", "state", "expires", "last_used")


@credentials.command("list")
def credentials_list() -> None:
    """List credentials (never their secrets): key, name, scopes, created, state, expires, used."""
    store = _store(_settings())
    now = system_clock_us()
    click.echo("\t".join(CREDENTIAL_COLUMNS))
    for cred in store.list_credentials():  # type: ignore[attr-defined]
        state = "revoked" if cred.revoked else "expired" if expired(cred, now) else "active"
        click.echo(
            f"{cred.key}\t{cred.name}\t{' '.join(cred.scopes)}\t{cred.created}\t{state}"
            f"\t{cred.expires or 'never'}\t{cred.last_used or 'never used'}"
        )


@credentials.command("revoke")
@click.argument("key")
def credentials_revoke(key: str) -> None:
    """Revoke a credential at once."""
    store = _store(_settings())
    if not store.revoke_credential(key):  # type: ignore[attr-defined]
        raise click.ClickException(f"no credential {key}")
    audit_cli(store, "credential.revoke", {"key": key})
    click.echo(f"revoked {key}")


@credentials.command("rotate")
@click.argument("key")
@click.option("--secret", default=None, help="New secret; random when omitted.")
@click.option(
    "--expires",
    default=None,
    help="New expiry (ISO 8601 date or date-time); without it the credential never expires.",
)
def credentials_rotate(key: str, secret: str | None, expires: str | None) -> None:
    """Give a credential a new secret (the old one stops working at once) and expiry."""
    store = _store(_settings())
    clear = secret or new_secret()
    try:
        until = parse_expiry(expires)
    except LRSError as exc:
        raise click.ClickException(exc.message) from exc
    if not store.rotate_credential(key, hash_secret(clear), until):  # type: ignore[attr-defined]
        raise click.ClickException(f"no credential {key}")
    audit_cli(store, "credential.rotate", {"key": key, "expires": until})
    click.echo(f"key:     {key}")
    click.echo(f"secret:  {clear}")
    click.echo(f"expires: {until or 'never'}")
