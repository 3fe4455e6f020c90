"""Start and stop gunicorn exactly as deployed (config/gunicorn.conf.py) for benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_pids(master: int) -> list[int]:
    """PIDs of gunicorn workers (children of the master)."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def cpu_seconds(master: int) -> float:
    """User + system CPU seconds used so far by the gunicorn master and its workers (/proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [master, *worker_pids(master)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def wait_checkpointed(wal: Path, timeout_s: float = 30.0) -> bool:
    """Wait until the store's background checkpointer has copied and truncated its WAL (the
    file is gone or empty), so CPU read afterwards includes the checkpoints of what was just
    written; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if wal.stat().st_size == 0:
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], probe: str) -> Iterator[tuple[int, int]]:
    """Run gunicorn serving ``app_spec``; yield (port, master pid) once ``probe`` answers."""
    port = free_port()
    full_env = {**os.environ, **env, "LRS_PORT": str(port), "LRS_HOST": "127.0.0.1"}
    full_env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config/gunicorn.conf.py")]
    cmd += ["--access-logfile", "/dev/null", app_spec]
    # Logs go to a file: an unread pipe fills up and blocks the workers' log writes.
    log_path = Path(env.get("LRS_DATA_DIR", "/tmp")) / f"gunicorn-{port}.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT, stdout=log_file, stderr=log_file)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = log_path.read_text(errors="replace")
                    raise RuntimeError(f"gunicorn did not start: {err[-2000:]}") from None
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()
