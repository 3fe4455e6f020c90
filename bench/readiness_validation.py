"""Out-of-time validation of the retention model and content-quality figures on a warehouse.

    .venv/bin/python -m bench.readiness_validation --warehouse /tmp/demo/wh.duckdb --as-of 2025-12-31

(a warehouse loaded with ``lrs demo load`` or by ``bench/planted_power.py --keep``). Prints, as
Markdown: per competency the prior and fitted half-lives, which one is used and why, and the
out-of-time figures (fit before ``as_of - validation_days``, score after: calibration-in-the-large
= observed - expected pass rate, calibration slope, Brier of the model and of the no-decay
baseline); then the click-through rate per assessment activity and the department readiness
spread. Writes nothing to the warehouse.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import polars as pl


def _fmt(value: object, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def calibration_table(cal: pl.DataFrame) -> list[str]:
    """Markdown rows of the half-life calibration (one per competency with attempts)."""
    lines = [
        "| competency | prior h | fitted h | used | n train / test | obs / exp | CITL | slope "
        "| Brier model | Brier no-decay |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in cal.sort("competency_id").iter_rows(named=True):
        used = r["source"] if r["reason"] is None else f"{r['source']} ({r['reason']})"
        lines.append(
            f"| {r['competency_id']} | {r['default_half_life_days']:.0f} "
            f"| {_fmt(r['fitted_half_life_days'], '.0f')} | {used} "
            f"| {r['n_train']} / {r['n_test']} "
            f"| {_fmt(r['observed_rate'], '.3f')} / {_fmt(r['expected_rate'], '.3f')} "
            f"| {_fmt(r['calibration_in_the_large'], '+.3f')} "
            f"| {_fmt(r['calibration_slope'], '.2f')} | {_fmt(r['brier_model'], '.4f')} "
            f"| {_fmt(r['brier_baseline'], '.4f')} |"
        )
    return lines


def main() -> None:
    """Run the validation on one warehouse and print the Markdown report."""
    from analytics.models import ModelSettings, calibrate, department_readiness
    from analytics.monthly import model_census, read_inputs, readiness_at
    from analytics.run_models import _activity_quality
    from analytics.warehouse import Warehouse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, required=True)
    ap.add_argument("--validation-days", type=int, default=ModelSettings().validation_days)
    args = ap.parse_args()
    settings = ModelSettings(validation_days=args.validation_days)
    with Warehouse(args.warehouse).read() as conn:
        inputs = read_inputs(conn, args.as_of, settings)
    cal = calibrate(inputs.evidence, inputs["competencies"], settings, as_of=args.as_of)
    print(f"## Retention, out of time (as of {args.as_of}, cut-off {cal['cutoff'][0]})\n")
    print("\n".join(calibration_table(cal)))
    fitted = cal.filter(pl.col("source") == "fitted").height
    print(f"\nFitted half-life used for {fitted} of {cal.height} competencies; prior for the rest.")
    quality = _activity_quality(inputs, settings).sort("activity_id")
    rates = quality["click_through_rate"].drop_nulls()
    print(
        f"\n## Click-through\n\n{rates.len()} activities: click-through rate median "
        f"{rates.median():.4f}, max {rates.max():.4f}, activities at 1.0: {(rates >= 1.0).sum()}"
    )
    ready = readiness_at(inputs, args.as_of, settings, cal.select(
        "competency_id", "half_life_days", "half_life_se_log"))  # fmt: skip
    dept = department_readiness(ready, inputs["staff"], model_census(inputs["census"]))
    est = dept.drop_nulls("readiness")
    print(
        f"\n## Department readiness\n\n{est.height} department x competency cells with a number "
        f"(range {est['readiness'].min():.2f}-{est['readiness'].max():.2f}); "
        f"{dept.height - est.height} without assessment evidence; mean interval width "
        f"{(est['readiness_hi'] - est['readiness_lo']).mean():.3f}."
    )
    weakest = dept.select("department_id", "weakest_competency_id").unique()
    counts = weakest.group_by("weakest_competency_id").len().sort("len", descending=True)
    print("Weakest competency per department: " + ", ".join(
        f"{c} x{n}" for c, n in counts.iter_rows()))  # fmt: skip
    compliant = ready.filter(pl.col("readiness_state") == "estimated")
    low = compliant.filter(pl.col("readiness") < 0.05).height
    print(f"Estimated pairs with readiness < 5 %: {low} of {compliant.height}.")


if __name__ == "__main__":
    main()
