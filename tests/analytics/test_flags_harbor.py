"""Planted truth of the flags on the second, independent simulator (Harbor), small size.

One seed, 250 staff, 18 months (the planted units keep their sizes: steep decline ~24 staff,
stable LOW unit ~30, hiring wave ~68). Thresholds are the defaults (DECLINING's alarm level
from the false-alarm target; design choices made on the demo).
The 50-seed figures are in docs/methods.md (``bench/flags/study.py --simulator harbor``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics.simulate.harbor import generate
from analytics.simulate.load import load_simulated, manifest_of
from analytics.warehouse import Warehouse
from bench.flags.study import Truth, flags_of, month_index, score_flags
from statements.store.sqlite import SQLiteStore

ALARMS = ["DECLINING", "PRIORITY"]


@pytest.fixture(scope="module")
def harbor(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("harbor-flags")
    generate(root / "data", seed=1, staff=250, months=18)
    store = SQLiteStore(root / "lrs.db", synchronous="NORMAL")
    store.init()
    warehouse = Warehouse(root / "wh.duckdb")
    agent = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "sim"}}
    load_simulated(store, warehouse, root / "data", b"k" * 32, agent)
    store.close()
    manifest = manifest_of(root / "data")
    flags, _ = flags_of(warehouse, date.fromisoformat(manifest["window"]["end"]))
    return {"m": manifest, "flags": flags}


def _cell(flags: pl.DataFrame, dept: str, comp: str) -> pl.DataFrame:
    return flags.filter((pl.col("department_id") == dept) & (pl.col("competency_id") == comp))


def _first(m: dict[str, Any]) -> date:
    y, mo = (int(v) for v in m["window"]["first_month"].split("-"))
    return date(y, mo, 1)


def test_stable_low_unit_is_low_and_never_declining(harbor: dict[str, Any]) -> None:
    low = harbor["m"]["low_unit"]
    cell = _cell(harbor["flags"], low["department_id"], low["competency_id"]).sort("month")
    assert cell["flag"][-1] == "LOW"
    assert not cell["flag"].is_in(ALARMS).any()


def test_steep_decline_is_declining_within_four_months(harbor: dict[str, Any]) -> None:
    """The renewal e-detector flags the steep plant (about 21 established staff, 80 % of
    renewals skipped) within 4 months, says why in words, and stays flagged to the end."""
    steep = next(d for d in harbor["m"]["declines"] if d["id"] == "steep_decline")
    cell = _cell(harbor["flags"], steep["department_id"], steep["competency_id"]).sort("month")
    alarms = cell.filter(pl.col("flag").is_in(ALARMS))
    first = _first(harbor["m"])
    assert min(month_index(first, m) for m in alarms["month"]) - steep["start_month"] <= 4
    assert cell["flag"][-1] in ALARMS
    reason = json.loads(alarms["explanation"][0])["reason"]
    assert "renewals due since" in reason and "are still open" in reason


def test_no_false_declining_and_the_hiring_wave_is_not_flagged(harbor: dict[str, Any]) -> None:
    m, flags = harbor["m"], harbor["flags"]
    truth = Truth(
        first_month=_first(m),
        declines=[],
        not_in_control={(a, b) for a, b in m["planted_cells"]},
        not_in_control_competencies=set(),
        low_unit=None,
        in_control={(a, b) for a, b in m["in_control_cells"]},
    )
    scored = score_flags(flags, truth)
    assert scored["false_declining"] == 0 and scored["in_control_cell_months"] > 500
    wave = flags.filter(pl.col("department_id") == m["hiring_wave"]["department_id"])
    assert not wave["flag"].is_in([*ALARMS, "LOW"]).any()
    assert wave["n_onboarding"].max() > 0


def test_tiny_unit_is_insufficient_data(harbor: dict[str, Any]) -> None:
    tiny = harbor["flags"].filter(
        pl.col("department_id") == harbor["m"]["tiny_unit"]["department_id"]
    )
    assert set(tiny["flag"]) == {"INSUFFICIENT_DATA"}


def test_a_change_on_the_29th_to_31st_shows_in_its_own_month(harbor: dict[str, Any]) -> None:
    change = next(c for c in harbor["m"]["protocol_changes"] if c["day_of_month"] >= 29)
    month = date.fromisoformat(change["change_date"]).replace(day=1)
    rows = harbor["flags"].filter(
        (pl.col("competency_id") == change["competency_id"]) & (pl.col("month") == month)
    )
    updating = rows.filter(pl.col("flag") == "UPDATE_IN_PROGRESS")
    assert updating.height >= 3
