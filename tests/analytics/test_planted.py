"""Planted-truth tests: a generated hospital, loaded through the store path, run through the models.

One small hospital per seed (module fixture); the 50-seed power study is bench/planted_power.py.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics.demo.generate import generate
from analytics.demo.load import load_demo
from analytics.monthly import frame
from analytics.run_models import run_models
from analytics.warehouse import Warehouse
from lrs.credentials import authority_for
from statements.store.sqlite import SQLiteStore

SEEDS = (1,)


def _month_index(first: str, month: date) -> int:
    y, m = (int(v) for v in first.split("-"))
    return (month.year - y) * 12 + month.month - m + 1


@pytest.fixture(scope="module", params=SEEDS)
def hospital(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp(f"hospital{request.param}")
    generate(root / "data", seed=request.param, staff=300)
    store = SQLiteStore(str(root / "lrs.db"))
    store.init()
    warehouse = Warehouse(root / "wh.duckdb")
    load_demo(store, warehouse, root / "data", b"k" * 32, authority_for("demo", "demo"))
    store.close()
    truth = json.loads((root / "data" / "truth.json").read_text())
    run_models(warehouse, date.fromisoformat(truth["window"]["end"]))
    with warehouse.read() as conn:
        tables = {
            t: frame(conn, f"SELECT * FROM {t}")
            for t in ("flags", "incident_rates", "linkage", "demo_marker", "cleared")
        }
    return {"truth": truth, **tables}


def _signal(truth: dict, name: str) -> dict:
    return next(s for s in truth["signals"] if s["id"] == name)


def test_planted_decline_flagged_within_four_months(hospital: dict) -> None:
    sig = _signal(hospital["truth"], "readiness_decline")
    cell = hospital["flags"].filter(
        (pl.col("department_id") == sig["department_id"])
        & (pl.col("competency_id") == sig["competency_id"])
        & pl.col("flag").is_in(["DECLINING", "PRIORITY"])
    )
    first = hospital["truth"]["window"]["first_month"]
    months = [_month_index(first, m) for m in cell["month"].to_list()]
    assert months and min(m for m in months if m >= sig["start_month"]) - sig["start_month"] <= 4


def test_few_false_declining_flags_on_in_control_cells(hospital: dict) -> None:
    """< 2 in-control cells DECLINING/PRIORITY: at the evaluated month and in any month."""
    truth = hospital["truth"]
    planted = {
        (s["department_id"], s["competency_id"])
        for s in truth["signals"]
        if s["id"] in ("readiness_decline", "falls_linkage")
    }
    bad = (
        hospital["flags"]
        .filter(pl.col("flag").is_in(["DECLINING", "PRIORITY"]))
        .select("department_id", "competency_id", "month")
    )
    last = hospital["flags"]["month"].max()
    rows = [(d, c, m) for d, c, m in bad.iter_rows() if (d, c) not in planted]
    assert len({(d, c) for d, c, m in rows if m == last}) < 2
    assert len({(d, c) for d, c, _ in rows}) < 2


def test_tiny_unit_reads_insufficient_data(hospital: dict) -> None:
    tiny = _signal(hospital["truth"], "tiny_unit")["department_id"]
    flags = hospital["flags"].filter(pl.col("department_id") == tiny)
    assert not flags.is_empty() and set(flags["flag"]) == {"INSUFFICIENT_DATA"}


def test_protocol_change_reads_update_in_progress(hospital: dict) -> None:
    sig = _signal(hospital["truth"], "protocol_change")
    changed = date.fromisoformat(sig["change_date"]).replace(day=1)
    cells = hospital["flags"].filter(
        (pl.col("competency_id") == sig["competency_id"]) & (pl.col("month") == changed)
    )
    eligible = cells.filter(pl.col("flag") != "INSUFFICIENT_DATA")
    assert not eligible.is_empty()
    assert set(eligible["flag"]) == {"UPDATE_IN_PROGRESS"}
    after = hospital["flags"].filter(
        (pl.col("competency_id") == sig["competency_id"]) & (pl.col("month") >= changed)
    )
    assert "DECLINING" not in set(after["flag"]) and "PRIORITY" not in set(after["flag"])


def test_near_miss_department_never_flagged_less_safe(hospital: dict) -> None:
    sig = _signal(hospital["truth"], "near_miss_rise")
    rates = hospital["incident_rates"].filter(pl.col("department_id") == sig["department_id"])
    assert not rates.is_empty() and not rates["harm_high"].any()


def test_linkage_recovers_planted_irr(hospital: dict) -> None:
    sig = _signal(hospital["truth"], "falls_linkage")
    row = (
        hospital["linkage"]
        .filter((pl.col("category") == "fall") & pl.col("is_primary"))
        .row(0, named=True)
    )
    assert row["competency_id"] == sig["competency_id"]  # the pre-specified primary pair
    assert row["estimable"] and row["lag_months"] == sig["lag_months"]
    assert row["irr_lo"] <= sig["irr_per_10pp"] <= row["irr_hi"]


def test_demo_marker_and_cleared_evidence(hospital: dict) -> None:
    assert hospital["demo_marker"]["seed"].to_list() == [hospital["truth"]["seed"]]
    cleared = hospital["cleared"].filter(pl.col("cleared"))
    assert not cleared.is_empty()
    assert cleared["evidence_ids"].list.len().min() > 0


def test_linkage_disabled_without_census(tmp_path: Path) -> None:
    from analytics.incident_models import NO_CENSUS, linkage

    empty = pl.DataFrame(
        schema={"department_id": pl.Utf8, "month": pl.Date, "patient_days": pl.Float64}
    )
    out = linkage(pl.DataFrame(), empty, pl.DataFrame(), pl.DataFrame())
    assert out["estimable"].to_list() == [False] and out["reason"][0] == NO_CENSUS
