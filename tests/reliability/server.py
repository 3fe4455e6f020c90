"""Start gunicorn exactly as deployed (``config/gunicorn.conf.py``) on a free loopback port."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEY, SECRET = "k", "s"
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
HEADERS = {"Authorization": AUTH, "X-Experience-API-Version": "1.0.3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LRS_", "PROMETHEUS_"))}
    env.update(
        LRS_DATA_DIR=str(data_dir),
        LRS_PORT=str(port),
        LRS_SECRET_KEY="reliability-secret",
        **extra,
    )
    return env


def add_credential(data_dir: Path) -> None:
    subprocess.run(
        [
            str(BIN / "lrs"),
            "credentials",
            "add",
            "--name",
            "t",
            "--key",
            KEY,
            "--secret",
            SECRET,
            "--scope",
            "all",
            "--scope",
            "admin",
        ],
        env=server_env(data_dir, 0),
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


@dataclass
class LiveServer:
    """A running gunicorn master (own process group) and its log file."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all(self) -> None:
        """kill -9 the master and every worker at once (the whole process group)."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def start(
    data_dir: Path,
    workers: int = 2,
    threads: int = 4,
    app_spec: str = "lrs.app:create_app()",
    **extra: str,
) -> LiveServer:
    """Start gunicorn on ``data_dir``; return once ``/xapi/about`` answers.

    ``app_spec`` is the WSGI app gunicorn loads (default: the deployed factory).
    """
    port = free_port()
    log = data_dir.parent / f"gunicorn-{port}.log"
    env = server_env(data_dir, port, LRS_WORKERS=str(workers), LRS_THREADS=str(threads), **extra)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                app_spec,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # polling for readiness, not sleeping for ordering
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{server.base}/xapi/about", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.05)
    server.kill_all()
    raise RuntimeError("gunicorn did not become ready")


@contextmanager
def live(data_dir: Path, **kwargs: object) -> Iterator[LiveServer]:
    """A live server that is always killed on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "lrs.db").exists():
        add_credential(data_dir)
    server = start(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.kill_all()
