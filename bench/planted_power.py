"""Power / false-alarm study of the flags on generated hospitals (ANALYTICS.md §10).

    .venv/bin/python bench/planted_power.py --seeds 50 --staff 200 --jobs 2 --dir /tmp/power

For each seed: generate, load through the store path, run the models, then score the planted
truth: decline flagged DECLINING/PRIORITY within 4 months of its start; false DECLINING/PRIORITY
flags on in-control cells at the last month and in any month; the falls IRR inside its 95 % CI;
the near-miss department never ``harm_high`` (in any month, and from the rise's start); the tiny
unit always INSUFFICIENT_DATA. One JSON line per seed,
then a summary line.
"""

from __future__ import annotations

import argparse
import json
import shutil
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any


def score(seed: int, staff: int, root: Path, keep: bool = False) -> dict[str, Any]:
    """Generate, load, run and score one seed.

    With ``keep`` the seed's data and warehouse stay in ``root/seed<S>``, and a later run with
    ``keep`` re-runs the models on that warehouse instead of generating and loading again
    (generation and loading do not depend on the model code, so the scores are the same as a
    full run; it makes a model change cheap to re-measure on every seed).
    """
    import polars as pl

    from analytics.demo.generate import generate
    from analytics.demo.load import load_demo
    from analytics.monthly import frame
    from analytics.run_models import run_models
    from analytics.warehouse import Warehouse
    from lrs.credentials import authority_for
    from statements.store.sqlite import SQLiteStore

    d = root / f"seed{seed}"
    done = d / "loaded"
    if not (keep and done.exists()):
        shutil.rmtree(d, ignore_errors=True)
        generate(d / "data", seed=seed, staff=staff)
        store = SQLiteStore(str(d / "lrs.db"))
        store.init()
        wh = Warehouse(d / "wh.duckdb")
        load_demo(store, wh, d / "data", b"k" * 32, authority_for("power", "power"))
        store.close()
        (d / "lrs.db").unlink()
        done.write_text(str(staff))
    wh = Warehouse(d / "wh.duckdb")
    truth = json.loads((d / "data" / "truth.json").read_text())
    run_models(wh, date.fromisoformat(truth["window"]["end"]))
    with wh.read() as conn:
        flags = frame(conn, "SELECT * FROM flags")
        rates = frame(conn, "SELECT * FROM incident_rates")
        link = frame(conn, "SELECT * FROM linkage WHERE category = 'fall'")
    sig = {s["id"]: s for s in truth["signals"]}
    dec = sig["readiness_decline"]
    y, m = (int(v) for v in truth["window"]["first_month"].split("-"))
    bad = flags.filter(pl.col("flag").is_in(["DECLINING", "PRIORITY"]))
    hit = bad.filter(
        (pl.col("department_id") == dec["department_id"])
        & (pl.col("competency_id") == dec["competency_id"])
    )
    idx = [(d.year - y) * 12 + d.month - m + 1 for d in hit["month"].to_list()]
    after = [i for i in idx if i >= dec["start_month"]]
    delay = min(after) - dec["start_month"] if after else None
    planted = {
        (dec["department_id"], dec["competency_id"]),
        (sig["falls_linkage"]["department_id"], sig["falls_linkage"]["competency_id"]),
    }
    last = flags["month"].max()
    false_last = [
        k
        for k in bad.filter(pl.col("month") == last)
        .select("department_id", "competency_id")
        .iter_rows()
        if k not in planted
    ]
    false_any = {
        k
        for k in bad.select("department_id", "competency_id").iter_rows()
        if k not in planted and k[1] != sig["protocol_change"]["competency_id"]
    }
    fl = sig["falls_linkage"]
    irr = {}
    for outcome in ("harm_moderate_plus", "all_incidents"):
        r = link.filter(
            (pl.col("competency_id") == fl["competency_id"]) & (pl.col("outcome") == outcome)
        )
        row = r.row(0, named=True) if r.height else {}
        irr[outcome] = bool(row.get("estimable")) and (
            row["ci_low"] <= fl["irr_per_10pp"] <= row["ci_high"]
        )
    tiny = flags.filter(pl.col("department_id") == sig["tiny_unit"]["department_id"])
    near_miss = rates.filter(pl.col("department_id") == sig["near_miss_rise"]["department_id"])
    rise_start = date.fromisoformat(sig["near_miss_rise"]["start"] + "-01")
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return {
        "seed": seed,
        "decline_delay_months": delay,
        "detected_within_4": delay is not None and delay <= 4,
        "false_declining_last_month": len(false_last),
        "false_declining_cells_any_month": len(false_any),
        "irr_covered": irr,
        "near_miss_harm_high": bool(near_miss["harm_high"].any()),
        "near_miss_harm_high_during_rise": bool(
            near_miss.filter(pl.col("month") >= rise_start)["harm_high"].any()
        ),
        "tiny_insufficient": set(tiny["flag"]) == {"INSUFFICIENT_DATA"},
    }


def main() -> None:
    """Run the seeds (in parallel) and print the summary."""
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--staff", type=int, default=200)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--dir", type=Path, default=Path("/tmp/planted-power"))
    p.add_argument("--keep", action="store_true", help="keep (and reuse) loaded warehouses")
    a = p.parse_args()
    seeds = range(a.first, a.first + a.seeds)
    results = []
    with ProcessPoolExecutor(a.jobs) as pool:
        for r in pool.map(score, seeds, [a.staff] * a.seeds, [a.dir] * a.seeds, [a.keep] * a.seeds):
            print(json.dumps(r), flush=True)
            results.append(r)
    n = len(results)
    print(
        json.dumps(
            {
                "seeds": n,
                "detected_within_4": sum(r["detected_within_4"] for r in results),
                "mean_false_declining_last_month": sum(
                    r["false_declining_last_month"] for r in results
                )
                / n,
                "mean_false_declining_cells_any_month": sum(
                    r["false_declining_cells_any_month"] for r in results
                )
                / n,
                "irr_coverage_all_incidents": sum(
                    r["irr_covered"]["all_incidents"] for r in results
                ),
                "irr_coverage_harm": sum(r["irr_covered"]["harm_moderate_plus"] for r in results),
                "near_miss_flagged": sum(r["near_miss_harm_high"] for r in results),
                "near_miss_flagged_during_rise": sum(
                    r["near_miss_harm_high_during_rise"] for r in results
                ),
                "tiny_ok": sum(r["tiny_insufficient"] for r in results),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
