"""``lrs worker``: run refresh -> models -> alerts on the schedule from the settings.

``make run`` (``lrs start``) starts it beside the server in the same process group, so Ctrl-C
stops both; it also exits when the process that started it (``--parent-pid``) is gone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

import click

from analytics.notify.schedule import step_health
from analytics.notify.scheduler import Worker
from analytics.notify.steps import default_steps
from config.settings import Settings
from lrs.cli.core import main
from statements.store import open_store


def _clock() -> datetime:
    return datetime.now(UTC)


def _fixed(now: datetime) -> datetime:
    return now if now.tzinfo else now.replace(tzinfo=UTC)


@main.command("worker")
@click.option("--once", is_flag=True, help="Run one cycle (what is due now) and exit.")
@click.option("--status", is_flag=True, help="Print each step's last runs and health; run nothing.")
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Pretend it is this UTC time (with --once or --status; replaying a past day).",
)
@click.option("--parent-pid", type=int, default=None, hidden=True)
def worker_cmd(once: bool, status: bool, now: datetime | None, parent_pid: int | None) -> None:
    """Run the scheduled steps (refresh, models, alerts), recording each run in the store."""
    settings = Settings.from_env()
    clock: Callable[[], datetime] = (lambda: _fixed(now)) if now else _clock
    store = open_store(settings.resolved_store_url)
    store.init()
    try:
        if status:
            runs = store.list_runs(limit=200)
            body = {
                "health": step_health(runs, settings, clock()),
                "runs": [r.as_dict() for r in runs[:20]],
            }
            click.echo(json.dumps(body, indent=2))
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
        worker = Worker(settings, store, default_steps(), clock)
        if once:
            for run in worker.cycle():
                click.echo(json.dumps(run.as_dict()))
            return
        _forever(worker, parent_pid)
    finally:
        store.close()


def _forever(worker: Worker, parent_pid: int | None) -> None:
    """Cycle until Ctrl-C / SIGTERM (a running step is interrupted: its warehouse write is
    atomic, its record is closed ``failed``/``interrupted`` and the lease released) or until
    the parent process is gone."""
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (``&``)
    click.echo(
        f"worker {worker.name}: refresh every {worker.settings.schedule_refresh_minutes} min, "
        f"models daily at {worker.settings.schedule_models_hour:02d}:00 UTC",
        err=True,
    )
    try:
        worker.run_forever(stop, alive=lambda: parent_pid is None or os.getppid() == parent_pid)
    except KeyboardInterrupt:
        click.echo(f"worker {worker.name}: stopped", err=True)
