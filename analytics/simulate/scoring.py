"""Scores of model output against planted truth (power and false-alarm study, ANALYTICS.md §10).

Pure functions of the warehouse's output frames (``flags``, ``linkage``, ``incident_rates``)
and a :class:`~analytics.simulate.planted.Planted`, so any model version can be scored:

* :func:`score_declines`: each planted decline's delay to its first DECLINING/PRIORITY month
  at or after its start; detected when the delay is at most ``within`` months.
* :func:`score_false_alarms`: alarm *onsets* (a run of consecutive DECLINING/PRIORITY months
  counts once) on in-control cells, per 100 in-control cell-years of eligible months (months
  flagged anything but INSUFFICIENT_DATA). Broken down by cause: protocol-change windows and
  their first anniversary (the retrained staff fall due together), the hiring-wave unit,
  seasonal-cohort competencies, other; every cause counts in the headline rate, and a second
  rate leaves out the two protocol causes. False LOW onsets likewise.
* :func:`score_low`: the stable LOW unit flagged LOW (or PRIORITY) at the last month, and the
  share of its eligible months so flagged.
* :func:`score_pair`: the linkage row of a (category, competency) pair: IRR per 10 pp, CI,
  whether the planted IRR lies inside it, whether it is "significant" (CI excludes 1).
* :func:`summarise`: the study table over seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from analytics.simulate.planted import Planted

ALARM = ("DECLINING", "PRIORITY")
LOW_FLAGS = ("LOW", "PRIORITY")
SKIP = "INSUFFICIENT_DATA"


def _cell(flags: pl.DataFrame, dept: str, comp: str) -> pl.DataFrame:
    return flags.filter((pl.col("department_id") == dept) & (pl.col("competency_id") == comp))


def score_declines(flags: pl.DataFrame, planted: Planted, within: int = 4) -> list[dict[str, Any]]:
    """One row per planted decline: ``delay_months`` (None: never flagged) and ``detected``."""
    out = []
    for d in planted.declines:
        cell = _cell(flags, d.department_id, d.competency_id).filter(pl.col("flag").is_in(ALARM))
        months = [planted.index(m) for m in cell["month"].to_list()]
        after = [m for m in months if m >= d.start_month]
        delay = min(after) - d.start_month if after else None
        out.append(
            {
                "id": d.id,
                "department_id": d.department_id,
                "competency_id": d.competency_id,
                "start_month": d.start_month,
                "delay_months": delay,
                "detected": delay is not None and delay <= within,
                "flagged_before_start": any(m < d.start_month for m in months),
            }
        )
    return out


def _in_control(flags: pl.DataFrame, planted: Planted) -> list[tuple[str, str]]:
    cells = {
        (str(d), str(c)) for d, c in flags.select("department_id", "competency_id").iter_rows()
    }
    if planted.in_control is not None:
        cells &= set(planted.in_control)
    return sorted(
        (d, c)
        for d, c in cells
        if (d, c) not in planted.planted_cells and d not in planted.excluded_departments
    )


def _onsets(months: Iterable[int]) -> list[int]:
    ordered = sorted(set(months))
    return [m for i, m in enumerate(ordered) if i == 0 or ordered[i - 1] != m - 1]


def _cause(planted: Planted, dept: str, comp: str, month: int) -> str:
    for change_comp, first, last in planted.protocol_windows:
        if comp == change_comp and first <= month <= last:
            return "protocol_window"
        if comp == change_comp and first + 11 <= month <= last + 12:
            return "protocol_anniversary"  # the retrained cohort falls due together a year on
    if dept == planted.wave_department:
        return "hiring_wave_unit"
    if comp in planted.cohort_competencies:
        return "cohort_competency"
    return "other"


def _protocol(causes: dict[str, int]) -> int:
    return causes.get("protocol_window", 0) + causes.get("protocol_anniversary", 0)


def score_false_alarms(flags: pl.DataFrame, planted: Planted) -> dict[str, Any]:
    """False DECLINING/PRIORITY and LOW onsets on in-control cells, per 100 cell-years."""
    cells = _in_control(flags, planted)
    eligible_months = 0
    causes: dict[str, int] = {}
    low_onsets = 0
    alarm_cells = []
    for dept, comp in cells:
        rows = _cell(flags, dept, comp)
        eligible_months += rows.filter(pl.col("flag") != SKIP).height
        alarm = [planted.index(m) for m in rows.filter(pl.col("flag").is_in(ALARM))["month"]]
        for onset in _onsets(alarm):
            cause = _cause(planted, dept, comp, onset)
            causes[cause] = causes.get(cause, 0) + 1
            alarm_cells.append([dept, comp, onset, cause])
        low_onsets += len(
            _onsets(planted.index(m) for m in rows.filter(pl.col("flag") == "LOW")["month"])
        )
    cell_years = eligible_months / 12
    alarms = sum(causes.values())

    def rate(n: int) -> float | None:
        return None if cell_years == 0 else round(100 * n / cell_years, 3)

    return {
        "in_control_cells": len(cells),
        "cell_years": round(cell_years, 3),
        "alarms": alarms,
        "alarms_by_cause": dict(sorted(causes.items())),
        "per_100_cell_years": rate(alarms),
        "per_100_cell_years_outside_protocol_windows": rate(alarms - _protocol(causes)),
        "low_alarms": low_onsets,
        "low_per_100_cell_years": rate(low_onsets),
        "alarm_cells": alarm_cells,
    }


def score_low(flags: pl.DataFrame, planted: Planted) -> dict[str, Any] | None:
    """The stable LOW unit: LOW (or PRIORITY) at the last month, and in what share of months."""
    if planted.low is None:
        return None
    rows = _cell(flags, *planted.low).filter(pl.col("flag") != SKIP)
    if rows.is_empty():
        return {"low_last_month": False, "low_share": 0.0, "flagged_declining": False}
    last = rows.filter(pl.col("month") == rows["month"].max())
    low = rows.filter(pl.col("flag").is_in(LOW_FLAGS))
    return {
        "low_last_month": bool(last["flag"].is_in(LOW_FLAGS).any()),
        "low_share": round(low.height / rows.height, 3),
        "flagged_declining": bool(rows["flag"].is_in(ALARM).any()),
    }


def _first(row: dict[str, Any], *names: str) -> Any:
    return next((row[n] for n in names if n in row), None)


def linkage_row(
    linkage: pl.DataFrame, category: str, competency: str, outcome: str = "harm_moderate_plus"
) -> dict[str, Any] | None:
    """The compliance-gap row of a pair (``outcome`` where the table has that column)."""
    rows = linkage.filter(
        (pl.col("category") == category) & (pl.col("competency_id") == competency)
    )
    if "gap_kind" in rows.columns:
        rows = rows.filter(pl.col("gap_kind") == "compliance")
    if "negative_control" in rows.columns:
        rows = rows.filter(~pl.col("negative_control").fill_null(False))
    if "outcome" in rows.columns:
        rows = rows.filter(pl.col("outcome") == outcome)
    return rows.row(0, named=True) if rows.height else None


def score_pair(
    linkage: pl.DataFrame,
    category: str,
    competency: str,
    planted_irr: float,
    outcome: str = "harm_moderate_plus",
) -> dict[str, Any]:
    """IRR and CI of a pair; ``covered`` (planted IRR inside) and ``significant`` (excludes 1)."""
    row = linkage_row(linkage, category, competency, outcome)
    if row is None or not row.get("estimable"):
        return {
            "estimable": False,
            "covered": False,
            "significant": False,
            "irr": None,
            "lo": None,
            "hi": None,
            "reason": None if row is None else _first(row, "reason", "message"),
        }
    irr = _first(row, "irr", "irr_per_10pp")
    lo, hi = _first(row, "irr_lo", "ci_low"), _first(row, "irr_hi", "ci_high")
    ok = lo is not None and hi is not None
    return {
        "estimable": True,
        "irr": irr,
        "lo": lo,
        "hi": hi,
        "covered": ok and lo <= planted_irr <= hi,
        "significant": ok and (lo > 1.0 or hi < 1.0),
        "p_value": row.get("p_value"),
        "q_value": row.get("q_value"),
    }


def score_incident_rates(rates: pl.DataFrame, planted: Planted) -> dict[str, Any]:
    """The near-miss unit never ``harm_high`` from the surge on; the tiny unit's rows exist."""
    if planted.near_miss is None or "harm_high" not in rates.columns:
        return {}
    dept, start = planted.near_miss
    rows = rates.filter(pl.col("department_id") == dept)
    during = [
        h
        for m, h in zip(rows["month"], rows["harm_high"], strict=True)
        if planted.index(m) >= start
    ]
    return {"near_miss_harm_high_during_surge": any(bool(h) for h in during)}


def score_tiny(flags: pl.DataFrame, planted: Planted) -> bool | None:
    """Every flag of the tiny unit is INSUFFICIENT_DATA."""
    if planted.tiny is None:
        return None
    rows = flags.filter(pl.col("department_id") == planted.tiny)
    return set(rows["flag"].to_list()) <= {SKIP}


def score_all(
    planted: Planted,
    flags: pl.DataFrame,
    linkage: pl.DataFrame,
    rates: pl.DataFrame,
    outcomes: Sequence[str] = ("harm_moderate_plus", "all_incidents"),
) -> dict[str, Any]:
    """Every score of one seed (JSON-ready)."""
    out: dict[str, Any] = {
        "simulator": planted.simulator,
        "seed": planted.seed,
        "declines": score_declines(flags, planted),
        "false_alarms": score_false_alarms(flags, planted),
        "low": score_low(flags, planted),
        "tiny_insufficient": score_tiny(flags, planted),
        **score_incident_rates(rates, planted),
    }
    if planted.association is not None:
        cat, comp, irr = planted.association
        out["association"] = {o: score_pair(linkage, cat, comp, irr, o) for o in outcomes}
    if planted.null_pair is not None:
        cat, comp = planted.null_pair
        out["null_pair"] = {o: score_pair(linkage, cat, comp, 1.0, o) for o in outcomes}
    return out


def _share(values: Sequence[bool]) -> float | None:
    return None if not values else round(sum(values) / len(values), 3)


def summarise(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The study table: detection per decline, pooled false-alarm rates, LOW and IRR shares."""
    out: dict[str, Any] = {"seeds": len(results)}
    ids = sorted({d["id"] for r in results for d in r["declines"]})
    for i in ids:
        rows = [d for r in results for d in r["declines"] if d["id"] == i]
        delays = sorted(d["delay_months"] for d in rows if d["delay_months"] is not None)
        out[f"decline.{i}.detected_within_4"] = _share([d["detected"] for d in rows])
        out[f"decline.{i}.median_delay"] = delays[len(delays) // 2] if delays else None
    fa = [r["false_alarms"] for r in results]
    years = sum(f["cell_years"] for f in fa)
    if years:
        alarms = sum(f["alarms"] for f in fa)
        protocol = sum(_protocol(f["alarms_by_cause"]) for f in fa)
        out["false_alarms.per_100_cell_years"] = round(100 * alarms / years, 3)
        out["false_alarms.per_100_cell_years_outside_protocol"] = round(
            100 * (alarms - protocol) / years, 3
        )
        out["false_low.per_100_cell_years"] = round(
            100 * sum(f["low_alarms"] for f in fa) / years, 3
        )
        out["false_alarms.cell_years"] = round(years, 1)
        causes: dict[str, int] = {}
        for f in fa:
            for k, v in f["alarms_by_cause"].items():
                causes[k] = causes.get(k, 0) + v
        out["false_alarms.by_cause"] = dict(sorted(causes.items()))
    lows = [r["low"] for r in results if r.get("low") is not None]
    if lows:
        out["low_unit.low_last_month"] = _share([lw["low_last_month"] for lw in lows])
        out["low_unit.mean_low_share"] = round(sum(lw["low_share"] for lw in lows) / len(lows), 3)
    for key, field in (("association", "covered"), ("null_pair", "significant")):
        for outcome in sorted({o for r in results for o in r.get(key, {})}):
            vals = [r[key][outcome][field] for r in results if outcome in r.get(key, {})]
            out[f"{key}.{outcome}.{field}"] = _share(vals)
    tiny = [r["tiny_insufficient"] for r in results if r.get("tiny_insufficient") is not None]
    out["tiny_unit.insufficient"] = _share(tiny)
    nm = [
        r["near_miss_harm_high_during_surge"]
        for r in results
        if "near_miss_harm_high_during_surge" in r
    ]
    out["near_miss.harm_high_during_surge"] = _share(nm)
    return out
