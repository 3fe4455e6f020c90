"""``lrs start`` (what ``make run`` runs): serve the LRS, offering the demo hospital first when
the store is empty.

The demo lives in its own data directory (``<data_dir>/demo``) so it never mixes with real
data; once loaded it is reused. ``LRS_DEMO=1`` loads it without asking, ``LRS_DEMO=0`` never
offers it, and without a terminal the command never waits for an answer.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import click

from config.settings import Settings
from lrs.cli.core import main
from lrs.credentials import new_credential
from lrs.extensions import system_clock_us
from statements.query import StatementQuery
from statements.store import open_store

DEMO_SEED = 1
DEMO_KEY = "demo-admin"
DEMO_SCOPES = ("all", "admin", "analytics/read", "analytics/staff")


def _has_statements(store_url: str) -> bool:
    store = open_store(store_url)
    store.init()
    try:
        return bool(store.query(StatementQuery(limit=1)).records)
    finally:
        store.close()


def wants_demo(environ: dict[str, str], interactive: bool) -> bool:
    """Decide whether to load the demo: LRS_DEMO=1/0 decide; else ask only on a terminal."""
    choice = environ.get("LRS_DEMO", "").strip().lower()
    if choice in ("1", "true", "yes"):
        return True
    if choice in ("0", "false", "no") or not interactive:
        return False
    return click.confirm(
        "The store is empty. Load the demo hospital (synthetic data, about a minute)?",
        default=True,
    )


def _lrs(args: list[str], data_dir: Path) -> None:
    """Run an ``lrs`` subcommand against ``data_dir`` (its own progress bars show)."""
    env = {**os.environ, "LRS_DATA_DIR": str(data_dir), "LRS_STORE_URL": ""}
    subprocess.run([sys.executable, "-m", "lrs.cli", *args], env=env, check=True)


def _demo_credential(demo_dir: Path) -> tuple[str, str]:
    """The demo admin key and secret, created once and kept beside the demo data (0600)."""
    saved = demo_dir / "demo-credential.txt"
    if saved.exists():
        key, secret = saved.read_text().split()
        return key, secret
    settings = Settings.from_env({"LRS_DATA_DIR": str(demo_dir)})
    store = open_store(settings.resolved_store_url)
    store.init()
    secret = secrets.token_urlsafe(18)
    cred, _ = new_credential("demo admin", DEMO_SCOPES, system_clock_us(), DEMO_KEY, secret)
    if store.get_credential(DEMO_KEY) is None:
        store.add_credential(cred)
    saved.write_text(f"{DEMO_KEY} {secret}\n")
    saved.chmod(0o600)
    return DEMO_KEY, secret


def prepare_demo(data_dir: Path) -> tuple[Path, str, str]:
    """Generate and load the demo hospital into ``<data_dir>/demo`` (reused when present)."""
    demo_dir = data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{(demo_dir / 'lrs.db').resolve()}"
    started = time.perf_counter()
    if not _has_statements(store_url):
        source = demo_dir / "source"
        click.echo("1/2 generating the demo hospital …")
        _lrs(["demo", "generate", "--seed", str(DEMO_SEED), "--out", str(source)], demo_dir)
        click.echo("2/2 loading it through the LRS and computing the analytics …")
        _lrs(["demo", "load", str(source)], demo_dir)
        click.echo(f"demo hospital ready in {time.perf_counter() - started:.0f} s")
    key, secret = _demo_credential(demo_dir)
    return demo_dir, key, secret


@main.command()
@click.option("--host", default=None, help="Bind address (LRS_HOST).")
@click.option("--port", type=int, default=None, help="Port (LRS_PORT).")
def start(host: str | None, port: int | None) -> None:
    """Serve the LRS; on an empty store, offer the demo hospital first (see LRS_DEMO)."""
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    interactive = sys.stdin.isatty()
    if not _has_statements(settings.resolved_store_url) and wants_demo(env, interactive):
        demo_dir, key, secret = prepare_demo(settings.data_dir)
        env["LRS_DATA_DIR"] = str(demo_dir)
        env["LRS_STORE_URL"] = ""
        base = f"http://{host or settings.host}:{port or settings.port}"
        click.echo("")
        click.echo("DEMO DATA — a synthetic hospital, not real people")
        click.echo(f"  dashboards:    {base}/dashboards/   (sign in with the key and secret)")
        click.echo(f"  xAPI endpoint: {base}/xapi/")
        click.echo(f"  demo admin:    key {key}   secret {secret}")
        click.echo("")
    args = [sys.executable, "-m", "lrs.cli", "serve"]
    if host:
        args += ["--host", host]
    if port:
        args += ["--port", str(port)]
    os.execve(sys.executable, args, env)
