"""``make fuzz``: a timed hostile-JSON campaign against gunicorn as deployed, per route family.

For each backend (``sqlite``: the deployed factory, 2 workers; ``mongomock``: one worker, the
store in memory) a live server is started, then for each family of
:mod:`tests.reliability.hostile` the corpus (``tests/reliability/corpus/<family>/``) is replayed
and hypothesis draws probes for ``--minutes``. Every probe goes through the oracle of
:mod:`tests.reliability.oracle` over HTTP. A probe answered >= 500, with a dropped connection or
with a wrong read-back is written to the corpus (where the default suite replays it on both
backends). Several ``--backend`` options run in parallel processes; the report (counts and
durations) is printed and written as JSON to ``--out``.

    LRS_FUZZ_BIG=1 .venv/bin/python -m tests.reliability.fuzz_campaign --minutes 10 \\
        --backend sqlite --backend mongomock --out var/fuzz/report.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.reliability import server
from tests.reliability.hostile import FAMILIES, Probe, probes
from tests.reliability.oracle import check, http_sender

CORPUS = Path(__file__).parent / "corpus"
BATCH = 100


def _save(family: str, probe: Probe) -> str:
    data = probe.to_file()
    name = f"found-{hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]}.bin"
    folder = CORPUS / family
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


class Tally:
    """Counts of one family's run."""

    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.problems: list[str] = []
        self.dropped = 0
        self.server_errors = 0
        self.accepted_statements = 0
        self.accepted_documents = 0
        self.saved: list[str] = []

    def run(self, family: str, send: Any, probe: Probe) -> None:
        try:
            status, problem = check(send, probe)
        except requests.ConnectionError as exc:
            self.dropped += 1
            self.problems.append(f"dropped connection: {exc}"[:300])
            self.saved.append(_save(family, probe))
            return
        self.statuses[str(status)] += 1
        if status >= 500:
            self.server_errors += 1
        if status in (200, 204) and probe.statement_id is not None and problem is None:
            self.accepted_statements += 1
        if status == 204 and probe.document is not None and problem is None:
            self.accepted_documents += 1
        if problem is not None:
            self.problems.append(problem[:300])
            self.saved.append(_save(family, probe))

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": sum(self.statuses.values()) + self.dropped,
            "statuses": dict(sorted(self.statuses.items())),
            "server_errors": self.server_errors,
            "dropped_connections": self.dropped,
            "accepted_statements_read_back_equal": self.accepted_statements,
            "accepted_documents_read_back_equal": self.accepted_documents,
            "problems": len(self.problems),
            "first_problems": self.problems[:5],
            "saved_to_corpus": self.saved,
        }


def _family(family: str, send: Any, minutes: float, start_seed: int) -> dict[str, Any]:
    tally = Tally()
    started = time.monotonic()
    for path in sorted((CORPUS / family).glob("*.bin")):
        tally.run(family, send, Probe.from_file(path.read_bytes()))
    deadline = started + minutes * 60
    batch = 0
    while time.monotonic() < deadline:

        @seed(start_seed + batch)
        @settings(
            max_examples=BATCH,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(probe=probes(family))
        def one(probe: Probe) -> None:
            if time.monotonic() < deadline:
                tally.run(family, send, probe)

        one()
        batch += 1
    out = tally.as_dict()
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def _start(backend: str, root: Path) -> server.LiveServer:
    data = root / backend / "data"
    data.mkdir(parents=True)
    if backend == "sqlite":
        server.add_credential(data)
        return server.start(data, workers=2, threads=4)
    return server.start(
        data,
        workers=1,
        threads=4,
        app_spec="tests.reliability.fuzz_app:create()",
        LRS_STORE_URL="mongomock://localhost/fuzz",
    )


def run_backend(
    backend: str, families: list[str], minutes: float, start_seed: int
) -> dict[str, Any]:
    """Start a server for ``backend`` and fuzz each family for ``minutes``."""
    report: dict[str, Any] = {"backend": backend, "families": {}}
    with tempfile.TemporaryDirectory(prefix=f"lrs-fuzz-{backend}-") as tmp:
        live = _start(backend, Path(tmp))
        try:
            with requests.Session() as session:
                send = http_sender(
                    session,
                    live.base,
                    {"Authorization": server.AUTH, "X-Experience-API-Version": "1.0.3"},
                )
                for family in families:
                    report["families"][family] = _family(family, send, minutes, start_seed)
                    print(json.dumps({backend: {family: report["families"][family]}}), flush=True)
        finally:
            alive = live.proc.poll() is None
            live.kill_all()
            report["server_alive_at_end"] = alive
            report["server_log_tracebacks"] = live.log.read_text(errors="replace").count(
                "Traceback"
            )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the campaign; exit status 1 when any probe found a problem."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="per family and backend")
    parser.add_argument("--backend", action="append", choices=["sqlite", "mongomock"])
    parser.add_argument("--family", action="append", choices=list(FAMILIES))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=Path("var/fuzz/report.json"))
    args = parser.parse_args(argv)
    backends = args.backend or ["sqlite", "mongomock"]
    families = args.family or list(FAMILIES)
    if len(backends) > 1:  # one process per backend, in parallel
        return _parallel(backends, families, args)
    report = run_backend(backends[0], families, args.minutes, args.seed)
    report["seed"] = args.seed
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    bad = sum(f["problems"] for f in report["families"].values())
    return 1 if bad or not report["server_alive_at_end"] else 0


def _parallel(backends: list[str], families: list[str], args: argparse.Namespace) -> int:
    procs = []
    for backend in backends:
        out = args.out.with_name(f"{args.out.stem}-{backend}.json")
        cmd = [
            sys.executable,
            "-m",
            "tests.reliability.fuzz_campaign",
            "--backend",
            backend,
            "--minutes",
            str(args.minutes),
            "--seed",
            str(args.seed),
            "--out",
            str(out),
        ]
        for family in families:
            cmd += ["--family", family]
        procs.append(subprocess.Popen(cmd))
    codes = [p.wait() for p in procs]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
