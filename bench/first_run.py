"""Benchmark (not a test): ``LRS_DEMO=1 lrs start`` on an empty data dir until the dashboards answer.

    nice -n 10 .venv/bin/python -m bench.first_run --runs 3 [--dir /tmp/first-run]

Each run starts ``python -m lrs.cli start`` (what ``make run`` runs) with ``LRS_DEMO=1`` on a
fresh data directory and an OS-chosen port, waits for the demo credential, signs in to the
dashboards with it and times until ``/dashboards/`` answers 200 after signing in. Printed per
run: seconds to the answer, the step timings of the start's "demo hospital ready" line, the
CPU seconds (user + sys) of the start process and all its descendants (the loader's worker
processes, gunicorn and its workers), and the load average; then the median. The CPU figure
is what estimates the quiet-machine time on a busy one. Only the process group this script
started is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
READY = re.compile(r"demo hospital ready in ([\d.]+) s \((.*)\)")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port the OS says is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and its live descendants, reaped children included."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = sum(int(v) for v in fields[11:15]) / TICKS  # utime stime cutime cstime
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def _opener() -> urllib.request.OpenerDirector:
    no_redirect = type(
        "NoRedirect",
        (urllib.request.HTTPRedirectHandler,),
        {"redirect_request": lambda *a, **k: None},
    )
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), no_redirect)


def dashboards_answer(base: str, key: str, secret: str) -> bool:
    """Sign in and fetch the overview; True on a 200 with the page."""
    opener = _opener()
    try:
        form = opener.open(f"{base}/dashboards/sign-in", timeout=30).read().decode()
        token = CSRF.search(form)
        if token is None:
            return False
        data = urllib.parse.urlencode({"key": key, "secret": secret, "csrf_token": token[1]})
        try:
            opener.open(f"{base}/dashboards/sign-in", data.encode(), timeout=30)
        except urllib.error.HTTPError as exc:
            if exc.code != 303:
                return False
        page = opener.open(f"{base}/dashboards/", timeout=60)
        return bool(page.status == 200 and b"<html" in page.read().lower())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def one_run(data_dir: Path, timeout: float) -> dict[str, object]:
    """One first run on an emptied ``data_dir``; its figures."""
    shutil.rmtree(data_dir, ignore_errors=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env.update(LRS_DEMO="1", LRS_DATA_DIR=str(data_dir), LRS_PORT=str(port), PYTHONPATH=str(ROOT))
    env.update(LRS_HOST="127.0.0.1")
    lines: list[str] = []
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrs.cli", "start"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        credential = data_dir / "demo-credential.txt"
        answered = None
        while time.monotonic() - started < timeout and proc.poll() is None:
            if credential.exists() and dashboards_answer(
                f"http://127.0.0.1:{port}", *credential.read_text().split()
            ):
                answered = time.monotonic() - started
                break
            time.sleep(0.25)
        cpu = tree_cpu(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    ready = next((m for m in map(READY.search, lines) if m), None)
    step_cpu = next(
        (line.split(": ", 1)[1].strip() for line in lines if "CPU seconds" in line), None
    )
    return {
        "answered_s": round(answered, 1) if answered is not None else None,
        "ready_s": float(ready[1]) if ready else None,
        "steps": ready[2] if ready else None,
        "step_cpu_s": step_cpu,
        "cpu_s": round(cpu, 1),
        "load": [round(x, 1) for x in os.getloadavg()],
    }


def main() -> None:
    """Run the benchmark and print one JSON line per run, then the median."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/lrs-first-run"))
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    results = []
    for n in range(args.runs):
        result = one_run(args.dir / f"run{n}", args.timeout)
        print(json.dumps(result), flush=True)
        results.append(result)
    answered = [r["answered_s"] for r in results if isinstance(r["answered_s"], float)]
    cpu = [float(str(r["cpu_s"])) for r in results]
    summary = {
        "median_answered_s": statistics.median(answered) if answered else None,
        "median_cpu_s": statistics.median(cpu),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
