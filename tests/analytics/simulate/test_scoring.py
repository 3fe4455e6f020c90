"""The study's scores on hand-made model output with a known answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics.simulate.harbor import generate
from analytics.simulate.planted import Decline, Planted, planted_of
from analytics.simulate.scoring import (
    score_declines,
    score_false_alarms,
    score_low,
    score_pair,
    summarise,
)

PLANTED = Planted(
    simulator="test",
    seed=1,
    first_month=date(2024, 1, 1),
    months=24,
    end=date(2025, 12, 31),
    declines=(Decline("d", "U1", "C1", 13),),
    low=("U2", "C1"),
    association=("medication", "C1", 1.6),
    null_pair=("fall", "C2"),
    planted_cells=frozenset({("U1", "C1"), ("U2", "C1")}),
    in_control=None,
    excluded_departments=frozenset({"TINY"}),
    protocol_windows=(("C3", 10, 12),),
    near_miss=None,
    tiny="TINY",
    wave_department="U9",
    cohort_competencies=frozenset({"C4"}),
)


def month(i: int) -> date:
    return date(2024 + (i - 1) // 12, (i - 1) % 12 + 1, 1)


def flags(cells: dict[tuple[str, str], dict[int, str]]) -> pl.DataFrame:
    rows = [
        {"department_id": d, "competency_id": c, "month": month(i), "flag": marks.get(i, "OK")}
        for (d, c), marks in cells.items()
        for i in range(1, 25)
    ]
    return pl.DataFrame(rows)


def test_decline_delay_counts_from_the_planted_start() -> None:
    hit = flags({("U1", "C1"): {15: "DECLINING", 16: "PRIORITY"}})
    (row,) = score_declines(hit, PLANTED)
    assert row["delay_months"] == 2 and row["detected"]
    late = flags({("U1", "C1"): {18: "DECLINING"}})
    assert not score_declines(late, PLANTED)[0]["detected"]
    early = flags({("U1", "C1"): {5: "DECLINING"}})
    (row,) = score_declines(early, PLANTED)
    assert row["delay_months"] is None and row["flagged_before_start"]


def test_false_alarms_count_onsets_per_in_control_cell_year_by_cause() -> None:
    frame = flags(
        {
            ("U1", "C1"): {14: "DECLINING"},  # planted: not a false alarm
            ("U3", "C2"): {3: "DECLINING", 4: "DECLINING", 5: "PRIORITY", 8: "DECLINING"},
            ("U3", "C3"): {11: "DECLINING", 20: "LOW"},
            ("TINY", "C2"): {4: "DECLINING"},  # excluded unit
            ("U9", "C2"): {1: "INSUFFICIENT_DATA", 2: "INSUFFICIENT_DATA", 7: "DECLINING"},
        }
    )
    fa = score_false_alarms(frame, PLANTED)
    assert fa["in_control_cells"] == 3
    assert fa["alarms"] == 4
    assert fa["alarms_by_cause"] == {"hiring_wave_unit": 1, "other": 2, "protocol_window": 1}
    assert fa["cell_years"] == pytest.approx((24 + 24 + 22) / 12, abs=1e-3)
    assert fa["per_100_cell_years"] == pytest.approx(round(100 * 4 / (70 / 12), 3))
    assert fa["low_alarms"] == 1


def test_low_unit_read_at_the_last_month() -> None:
    assert score_low(flags({("U2", "C1"): {24: "LOW", 23: "LOW"}}), PLANTED) == {
        "low_last_month": True,
        "low_share": round(2 / 24, 3),
        "flagged_declining": False,
    }
    assert not score_low(flags({("U2", "C1"): {20: "LOW"}}), PLANTED)["low_last_month"]


@pytest.mark.parametrize(
    ("names", "values", "covered", "significant"),
    [
        (("irr_per_10pp", "ci_low", "ci_high"), (1.5, 1.2, 1.9), True, True),
        (("irr", "irr_lo", "irr_hi"), (1.1, 0.8, 1.5), False, False),
        (("irr", "irr_lo", "irr_hi"), (2.5, 1.9, 3.1), False, True),
    ],
)
def test_pair_coverage_and_significance(
    names: tuple[str, str, str],
    values: tuple[float, float, float],
    covered: bool,
    significant: bool,
) -> None:
    row = {
        "category": "medication",
        "competency_id": "C1",
        "outcome": "harm_moderate_plus",
        "estimable": True,
        **dict(zip(names, values, strict=True)),
    }
    other = {**row, "competency_id": "C9", names[1]: 0.1, names[2]: 99.0}
    scored = score_pair(pl.DataFrame([row, other]), "medication", "C1", 1.6)
    assert (scored["covered"], scored["significant"]) == (covered, significant)


def test_not_estimable_is_neither_covered_nor_significant() -> None:
    row = {
        "category": "fall",
        "competency_id": "C2",
        "outcome": "harm_moderate_plus",
        "estimable": False,
        "irr_per_10pp": None,
        "ci_low": None,
        "ci_high": None,
    }
    scored = score_pair(pl.DataFrame([row]), "fall", "C2", 1.0)
    assert not scored["estimable"] and not scored["covered"] and not scored["significant"]


def test_summary_pools_false_alarms_over_seeds() -> None:
    one = {
        "declines": [{"id": "d", "detected": True, "delay_months": 1}],
        "false_alarms": {
            "cell_years": 50.0,
            "alarms": 1,
            "low_alarms": 0,
            "alarms_by_cause": {"other": 1},
        },
        "low": {"low_last_month": True, "low_share": 1.0},
        "tiny_insufficient": True,
    }
    two = {
        **one,
        "declines": [{"id": "d", "detected": False, "delay_months": None}],
        "false_alarms": {**one["false_alarms"], "alarms": 0, "alarms_by_cause": {}},
        "low": {"low_last_month": False, "low_share": 0.5},
    }
    s = summarise([one, two])
    assert s["decline.d.detected_within_4"] == 0.5
    assert s["false_alarms.per_100_cell_years"] == 1.0
    assert s["low_unit.low_last_month"] == 0.5


def test_harbor_manifest_reads_into_planted(tmp_path: Path) -> None:
    generate(tmp_path, seed=2, staff=100, months=18)
    planted = planted_of(tmp_path)
    assert planted.simulator == "harbor" and len(planted.declines) == 2
    assert planted.low is not None and planted.low in planted.planted_cells
    assert planted.in_control is not None and not planted.in_control & planted.planted_cells
    assert planted.index(planted.end) == planted.months
    assert replace(planted, seed=3).seed == 3


def test_an_alarm_a_year_after_a_protocol_change_is_its_anniversary() -> None:
    frame = flags({("U3", "C3"): {22: "DECLINING"}, ("U4", "C3"): {17: "DECLINING"}})
    fa = score_false_alarms(frame, PLANTED)
    assert fa["alarms_by_cause"] == {"other": 1, "protocol_anniversary": 1}
    assert fa["per_100_cell_years_outside_protocol_windows"] == pytest.approx(100 / 4, abs=1e-3)
