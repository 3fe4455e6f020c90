"""Power and false alarms of the readiness flags on a simulated hospital (ANALYTICS.md §7, §10).

    nice -n 10 .venv/bin/python -m bench.flags.study --simulator demo --seeds 50 --jobs 1 \
        --staff 200 --dir /tmp/flags-study-demo

For each seed: generate, load through the store path (cached in ``DIR/seed<S>`` so a re-run
only re-runs the models), compute the month-end series and the flags as of the window's end
exactly as ``run_models`` does, then score the flags against the planted truth with
:func:`score_flags`. One JSON line per seed, then a summary line.
Thresholds are the defaults of ``FlagSettings``: the DECLINING alarm level comes from the
false-alarm target (e-value 1200), the LOW funnel from its 99.8 % level; the design choices
were made on the demo generator.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ALARMS = ("DECLINING", "PRIORITY")


@dataclass(frozen=True)
class Truth:
    """What a simulator planted, in the terms the flag scoring needs."""

    first_month: date  # month index 1
    declines: list[dict[str, Any]]  # department_id, competency_id, start_month, n_staff, label
    not_in_control: set[tuple[str, str]]  # planted cells (any kind): excluded from false alarms
    not_in_control_competencies: set[str]  # e.g. a protocol change: every cell of it excluded
    low_unit: tuple[str, str] | None
    in_control: set[tuple[str, str]] | None = None  # when given, only these cells are scored


def month_index(first: date, month: date) -> int:
    """1 for ``first``'s month, 2 for the next, ..."""
    return (month.year - first.year) * 12 + month.month - first.month + 1


def _episodes(months: Iterable[int]) -> int:
    """Runs of consecutive months (one false alarm per run)."""
    ms = sorted(set(months))
    return sum(1 for i, m in enumerate(ms) if i == 0 or m != ms[i - 1] + 1)


def score_flags(flags: Any, truth: Truth) -> dict[str, Any]:
    """Score one run's flags table (a Polars frame) against the planted truth.

    * per planted decline: delay (months from its start to the first DECLINING/PRIORITY at or
      after it; None if never), ``within_4`` and ``within_6``; also the first delay of any non-OK colour
      (DECLINING, PRIORITY or LOW);
    * false alarms: episodes (runs of consecutive months) of DECLINING/PRIORITY, and of LOW, on
      in-control cells, with the eligible in-control cell-months they were observed in
      (cell-years = cell-months / 12);
    * the stable LOW unit: LOW (or PRIORITY) at the last month, and the share of its months LOW.
    """
    import polars as pl

    rows = flags.with_columns(
        idx=pl.col("month").map_elements(
            lambda m: month_index(truth.first_month, m), return_dtype=pl.Int64
        )
    )
    out: dict[str, Any] = {"declines": []}
    for d in truth.declines:
        cell = rows.filter(
            (pl.col("department_id") == d["department_id"])
            & (pl.col("competency_id") == d["competency_id"])
            & (pl.col("idx") >= d["start_month"])
        )
        hit = cell.filter(pl.col("flag").is_in(ALARMS))["idx"].to_list()
        any_ = cell.filter(pl.col("flag").is_in([*ALARMS, "LOW"]))["idx"].to_list()
        delay = min(hit) - d["start_month"] if hit else None
        delay_any = min(any_) - d["start_month"] if any_ else None
        out["declines"].append(
            {
                **{k: d.get(k) for k in ("label", "department_id", "competency_id", "n_staff")},
                "delay": delay,
                "within_4": delay is not None and delay <= 4,
                "within_6": delay is not None and delay <= 6,
                "delay_any_colour": delay_any,
            }
        )
    key = pl.concat_str("department_id", "competency_id", separator="\x1f")
    bad = {f"{a}\x1f{b}" for a, b in truth.not_in_control}
    only = {f"{a}\x1f{b}" for a, b in truth.in_control} if truth.in_control else None
    ic = rows.filter(
        (key.is_in(list(only)) if only is not None else pl.lit(True))
        & ~key.is_in(list(bad))
        & ~pl.col("competency_id").is_in(list(truth.not_in_control_competencies))
        & (pl.col("flag") != "INSUFFICIENT_DATA")
    )
    out["in_control_cell_months"] = ic.height
    for name, kinds in (("false_declining", ALARMS), ("false_low", ("LOW", "PRIORITY"))):
        hits = ic.filter(pl.col("flag").is_in(kinds)).group_by("department_id", "competency_id")
        out[name] = int(sum(_episodes(g["idx"].to_list()) for _, g in hits))
    if truth.low_unit:
        lu = rows.filter(
            (pl.col("department_id") == truth.low_unit[0])
            & (pl.col("competency_id") == truth.low_unit[1])
        ).sort("month")
        low = lu["flag"].is_in(["LOW", "PRIORITY"])
        out["low_unit_low_last"] = bool(low[-1]) if lu.height else False
        out["low_unit_low_share"] = float(low.mean() or 0) if lu.height else 0.0
        out["low_unit_declining"] = bool(lu["flag"].is_in(ALARMS).any())
    return out


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The study table: detection per planted decline, false alarms per 100 cell-years, LOW."""
    n = len(results)
    summary: dict[str, Any] = {"seeds": n}
    labels = sorted({d["label"] for r in results for d in r["declines"]})
    for label in labels:
        ds = [d for r in results for d in r["declines"] if d["label"] == label]
        summary[f"decline[{label}]_within_4"] = f"{sum(d['within_4'] for d in ds)}/{len(ds)}"
        six = sum(d["delay"] is not None and d["delay"] <= 6 for d in ds)
        summary[f"decline[{label}]_within_6"] = f"{six}/{len(ds)}"
        delays = sorted(d["delay"] for d in ds if d["delay"] is not None)
        summary[f"decline[{label}]_median_delay"] = delays[len(delays) // 2] if delays else None
    cell_years = sum(r["in_control_cell_months"] for r in results) / 12
    summary["in_control_cell_years"] = round(cell_years, 1)
    for name in ("false_declining", "false_low"):
        total = sum(r[name] for r in results)
        summary[f"{name}_per_100_cell_years"] = round(100 * total / max(cell_years, 1e-9), 3)
        summary[f"{name}_episodes"] = total
    if any("low_unit_low_last" in r for r in results):
        summary["low_unit_low_last"] = f"{sum(r['low_unit_low_last'] for r in results)}/{n}"
        summary["low_unit_ever_declining"] = sum(r["low_unit_declining"] for r in results)
    return summary


def flags_of(warehouse: Any, as_of: date) -> tuple[Any, float]:
    """The flags table run_models would write (same series, same settings), and its seconds.

    Only the inputs, the month-end series and the flags are computed (the other models do not
    feed the flags), which keeps a 50-seed study affordable.
    """
    import time

    from analytics.flags import FlagSettings, compute_flags
    from analytics.models import ModelSettings
    from analytics.monthly import month_ends, monthly_series, read_inputs
    from analytics.renewals import inputs_dues

    settings, flag_settings = ModelSettings(), FlagSettings()
    with warehouse.read() as conn:
        inputs = read_inputs(conn, as_of, settings)
    ends = month_ends(as_of, max(flag_settings.window_months + 6, 18))
    series = monthly_series(inputs, ends, settings, None)
    started = time.perf_counter()
    dues = inputs_dues(inputs, as_of)
    flags = compute_flags(
        series, inputs["competencies"], inputs["protocol_changes"], flag_settings, dues=dues
    )
    return flags, time.perf_counter() - started


def _run_seed(simulator: str, seed: int, staff: int, root: Path) -> dict[str, Any]:
    from bench.flags.sims import prepare

    try:
        warehouse, as_of, truth = prepare(simulator, seed, staff, root / f"seed{seed}")
    except ValueError as exc:  # a seed the simulator cannot generate: reported, then replaced
        return {"seed": seed, "error": f"{type(exc).__name__}: {exc}"}
    flags, seconds = flags_of(warehouse, as_of)
    return {"seed": seed, "flags_seconds": round(seconds, 2), **score_flags(flags, truth)}


def main() -> None:
    """Run the seeds and print one JSON line per seed and a summary line."""
    p = argparse.ArgumentParser()
    p.add_argument("--simulator", default="demo")
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--staff", type=int, default=200)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--dir", type=Path, default=Path("/tmp/flags-study"))
    p.add_argument("--spare", type=int, default=0, help="extra seeds replacing failed ones")
    p.add_argument("--clean", action="store_true", help="delete the cached warehouses at the end")
    a = p.parse_args()
    seeds = list(range(a.first, a.first + a.seeds + a.spare))
    results, failed = [], []
    with ProcessPoolExecutor(a.jobs) as pool:
        args = ([a.simulator] * len(seeds), seeds, [a.staff] * len(seeds), [a.dir] * len(seeds))
        for r in pool.map(_run_seed, *args):
            print(json.dumps(r), flush=True)
            (failed if "error" in r else results).append(r)
    summary = summarise(results[: a.seeds])
    summary["failed_seeds"] = [r["seed"] for r in failed]
    print(json.dumps({"summary": summary}), flush=True)
    if a.clean:
        shutil.rmtree(a.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
