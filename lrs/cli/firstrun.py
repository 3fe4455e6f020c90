"""``lrs start`` (what ``make run`` runs): serve the LRS, offering the demo hospital first when
the store is empty.

The demo is loaded into the ordinary store and warehouse of ``LRS_DATA_DIR``: the server, the
README's commands and the dashboards all see the same data, and ``lrs demo remove`` leaves the
demo (see :mod:`lrs.cli.demo.run`). ``LRS_DEMO=1`` loads it without asking, ``LRS_DEMO=0``
never offers it, and without a terminal the command never waits for an answer; progress shows
as bars on a terminal and as log lines (at least every few seconds) without one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import click

from config.settings import Settings
from lrs.cli.core import main
from lrs.cli.demo.run import CREDENTIAL_FILE, LOADING_FILE, cpu_seconds, first_run
from lrs.cli.progress import Steps
from statements.query import StatementQuery
from statements.store import open_store


def _has_statements(store_url: str) -> bool:
    store = open_store(store_url)
    store.init()
    try:
        return bool(store.query(StatementQuery(limit=1)).records)
    finally:
        store.close()


def _demo_leader(store_url: str) -> None:
    from lrs.extensions import system_clock_us
    from lrs.people.admin import ensure_demo_leader

    store = open_store(store_url)
    store.init()
    try:
        ensure_demo_leader(store, system_clock_us())
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


def demo_banner(settings: Settings, base: str, key: str, secret: str) -> list[str]:
    """What ``lrs start`` prints while the demo is loaded: where it is and how to leave it."""
    return [
        "",
        "DEMO DATA — a synthetic hospital, not real people",
        f"  dashboards:    {base}/dashboards/   (one click: Sign in as the demo leader)",
        f"  xAPI endpoint: {base}/xapi/",
        f"  demo admin:    key {key}   secret {secret}"
        f"   (also in {settings.data_dir / CREDENTIAL_FILE})",
        f"  store:         {settings.resolved_store_url} (the ordinary store: every lrs",
        "                 command of the README acts on what this server serves)",
        "  leave the demo: stop the server, run `lrs demo remove`, start again",
        "",
    ]


def _saved_demo_credential(settings: Settings) -> tuple[str, str] | None:
    saved = settings.data_dir / CREDENTIAL_FILE
    if not saved.exists():
        return None
    key, secret = saved.read_text().split()
    return key, secret


def start_worker() -> subprocess.Popen[bytes]:
    """``lrs worker`` as a child in this process group: Ctrl-C reaches both it and the server
    this process becomes (exec keeps the pid, so the worker exits when the server is gone)."""
    args = [sys.executable, "-m", "lrs.cli", "worker", "--parent-pid", str(os.getpid())]
    click.echo("starting the scheduler (lrs worker; LRS_WORKER_ENABLED=0 to run it apart)")
    return subprocess.Popen(args, env=dict(os.environ))


@main.command()
@click.option("--host", default=None, help="Bind address (LRS_HOST).")
@click.option("--port", type=int, default=None, help="Port (LRS_PORT).")
def start(host: str | None, port: int | None) -> None:
    """Serve the LRS; on an empty store, offer the demo hospital first (see LRS_DEMO)."""
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    interactive = sys.stdin.isatty()
    resume = (settings.data_dir / LOADING_FILE).exists()
    empty = not resume and not _has_statements(settings.resolved_store_url)
    if resume or (empty and wants_demo(dict(os.environ), interactive)):
        started = time.monotonic()
        steps = Steps(interactive=sys.stdout.isatty())
        click.echo("loading the demo hospital" + (" (resuming)" if resume else "") + " …")
        first_run(settings, steps)
        timings = ", ".join(f"{k} {v:.1f} s" for k, v in steps.timings.items())
        took = time.monotonic() - started
        click.echo(f"demo hospital ready in {took:.1f} s ({timings}; CPU {cpu_seconds():.1f} s)")
    demo = _saved_demo_credential(settings)
    if demo is not None:
        _demo_leader(settings.resolved_store_url)  # demos loaded before people existed too
        base = f"http://{host or settings.host}:{port or settings.port}"
        for line in demo_banner(settings, base, *demo):
            click.echo(line)
    if settings.worker_enabled:
        start_worker()
    args = [sys.executable, "-m", "lrs.cli", "serve"]
    if host:
        args += ["--host", host]
    if port:
        args += ["--port", str(port)]
    sys.stdout.flush()
    os.execve(sys.executable, args, dict(os.environ))
