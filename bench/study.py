"""Power / false-alarm study of the models on either simulator (ANALYTICS.md §10, issue 14).

    .venv/bin/python -m bench.study --simulator harbor --seeds 50 --jobs 2 --keep /tmp/study-harbor
    .venv/bin/python -m bench.study --simulator demo --seeds 50 --jobs 2 --keep /tmp/study-demo

Each seed: generate the hospital, load it through the store path (validation, preparation,
``store_batch``), the import validators and the ETL, run the models as of the window's last day
with the thresholds from the environment (``LRS_*`` settings), and score the output against
the planted truth with :mod:`analytics.simulate.scoring`. With ``--keep DIR`` each seed's
loaded warehouse stays in ``DIR/seed<S>`` and a later run re-runs only the models on it (the
generation and loading do not depend on the model code). One JSON line per seed (also written
to ``DIR/results-<simulator>.jsonl``, with wall and CPU seconds per stage), then the summary
table as one JSON line (also ``DIR/summary-<simulator>.json``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

SECRET = b"study-pseudonym-key-study-pseudo"
STAFF = {"harbor": 700, "demo": 200}


def _generate_and_load(simulator: str, seed: int, staff: int, d: Path) -> dict[str, float]:
    from analytics.warehouse import Warehouse
    from lrs.credentials import authority_for
    from statements.store.sqlite import SQLiteStore

    shutil.rmtree(d, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    if simulator == "harbor":
        from analytics.simulate.harbor import generate as harbor_generate

        harbor_generate(d / "data", seed=seed, staff=staff)
    else:
        from analytics.demo.generate import generate as demo_generate

        demo_generate(d / "data", seed=seed, staff=staff)
    generated, cpu_generated = time.perf_counter(), time.process_time()
    store = SQLiteStore(d / "lrs.db", synchronous="NORMAL")
    store.init()
    wh = Warehouse(d / "wh.duckdb")
    authority = authority_for("study", "bench/study.py")
    try:
        if simulator == "harbor":
            from analytics.simulate.load import load_simulated

            load_simulated(store, wh, d / "data", SECRET, authority)
        else:
            from analytics.demo.load import load_demo

            load_demo(store, wh, d / "data", SECRET, authority)
    finally:
        store.close()
    (d / "lrs.db").unlink()
    loaded, cpu_loaded = time.perf_counter(), time.process_time()
    return {
        "generate_s": round(generated - started, 2),
        "load_s": round(loaded - generated, 2),
        "generate_cpu_s": round(cpu_generated - cpu, 2),
        "load_cpu_s": round(cpu_loaded - cpu_generated, 2),
    }


def _version(simulator: str) -> int:
    """The generator's version: a cached seed from another version is generated again."""
    if simulator == "harbor":
        from analytics.simulate.harbor.generate import VERSION

        return VERSION
    from analytics.demo.generate import GENERATOR_VERSION

    return GENERATOR_VERSION


def run_seed(simulator: str, seed: int, staff: int, root: Path, keep: bool) -> dict[str, Any]:
    """Generate + load (unless kept from an earlier run), run the models, score."""
    from analytics.model_settings import from_settings
    from analytics.monthly import frame
    from analytics.run_models import run_models
    from analytics.simulate.planted import planted_of
    from analytics.simulate.scoring import score_all
    from analytics.warehouse import Warehouse
    from config.settings import Settings

    d = root / f"seed{seed}"
    marker = d / "loaded.json"
    wanted = {"simulator": simulator, "seed": seed, "staff": staff, "version": _version(simulator)}
    timings: dict[str, float] = {}
    if not (keep and marker.exists() and json.loads(marker.read_text()) == wanted):
        timings = _generate_and_load(simulator, seed, staff, d)
        marker.write_text(json.dumps(wanted))
    planted = planted_of(d / "data")
    wh = Warehouse(d / "wh.duckdb")
    started, cpu = time.perf_counter(), time.process_time()
    run_models(wh, planted.end, *from_settings(Settings.from_env()))
    timings["models_s"] = round(time.perf_counter() - started, 2)
    timings["models_cpu_s"] = round(time.process_time() - cpu, 2)
    with wh.read() as conn:
        flags = frame(conn, "SELECT department_id, competency_id, month, flag FROM flags")
        linkage = frame(conn, "SELECT * FROM linkage")
        rates = frame(conn, "SELECT * FROM incident_rates")
    result = score_all(planted, flags, linkage, rates)
    result["timings"] = timings
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return result


def main() -> None:
    """Run the seeds (in parallel), print one line per seed and the summary."""
    from analytics.simulate.scoring import summarise

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--simulator", choices=("harbor", "demo"), default="harbor")
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--staff", type=int, default=None, help="default: harbor 700, demo 200")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--keep", type=Path, default=None, help="keep (and reuse) loaded warehouses")
    a = p.parse_args()
    staff = a.staff or STAFF[a.simulator]
    root = a.keep or Path(tempfile.mkdtemp(prefix=f"study-{a.simulator}-"))
    root.mkdir(parents=True, exist_ok=True)
    seeds = list(range(a.first, a.first + a.seeds))
    results = []
    with (
        ProcessPoolExecutor(a.jobs) as pool,
        (root / f"results-{a.simulator}.jsonl").open("w") as out,
    ):
        n = len(seeds)
        args = ([a.simulator] * n, seeds, [staff] * n, [root] * n, [a.keep is not None] * n)
        for r in pool.map(run_seed, *args):
            line = json.dumps(r, default=str)
            print(line, flush=True)
            out.write(line + "\n")
            results.append(r)
    summary = {"simulator": a.simulator, "staff": staff, **summarise(results)}
    print(json.dumps(summary), flush=True)
    (root / f"summary-{a.simulator}.json").write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
