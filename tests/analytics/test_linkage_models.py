"""The linkage on the hospital's own catalogue: crosswalk validation, default, contract table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analytics.crosswalk import resolve_crosswalk
from analytics.linkage_models import NO_CENSUS, SCHEMA, linkage, primary_pairs
from analytics.seed import seed_bytes
from analytics.stats.linkage import lag_gap

DEPTS = [f"U-{i:02d}" for i in range(10)]
MONTHS = [date(2023 + (m // 12), m % 12 + 1, 1) for m in range(20)]
CATALOGUE = pl.DataFrame(
    {
        "competency_id": ["k.falls", "k.mobility", "k.meds", "k.privacy"],
        "category": ["safety", "safety", "clinical", "privacy"],
        "criticality": [2, 3, 3, 2],
    }
)


def _hospital(seed: int = 5, irr: float = 1.5) -> tuple[pl.DataFrame, ...]:
    """Harm falls follow ``irr`` per 10 pp of k.falls' gap two months before; meds are null."""
    rng = np.random.default_rng(seed)
    d = np.repeat(DEPTS, len(MONTHS))
    m = np.tile(np.arange(len(MONTHS)), len(DEPTS))
    series, gaps = [], {}
    for comp in CATALOGUE["competency_id"]:
        walk = np.clip(0.1 + np.cumsum(rng.normal(0, 0.03, (len(DEPTS), len(MONTHS))), 1), 0, 0.9)
        gaps[comp] = walk.ravel()
        series += [
            {
                "department_id": a,
                "competency_id": comp,
                "month": MONTHS[b],
                "compliance_rate": 1 - g,
                "readiness": max(0.0, 0.9 - g),
            }
            for a, b, g in zip(d, m, gaps[comp], strict=True)
        ]
    lagged = np.nan_to_num(lag_gap(d, m, gaps["k.falls"], 2), nan=0.1)
    mu = {
        "fall": 6.0 * irr ** ((lagged - 0.1) / 0.1),
        "medication": np.full(len(d), 5.0),
        "privacy_breach": np.full(len(d), 3.0),
    }
    incidents = [
        {
            "department_id": a,
            "discovered_date": MONTHS[b].replace(day=9),
            "event_type": "incident",
            "harm_level": "moderate",
            "categories": [cat],
        }
        for cat, mean in mu.items()
        for a, b, k in zip(d, m, rng.poisson(mean * rng.gamma(20, 1 / 20, len(d))), strict=True)
        for _ in range(int(k))
    ]
    census = pl.DataFrame(
        {"department_id": d, "month": [MONTHS[b] for b in m], "patient_days": 1000.0}
    )
    return pl.DataFrame(incidents), census, pl.DataFrame(series)


def _crosswalk(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["category", "competency_id", "weight"], orient="row")


@pytest.fixture(scope="module")
def hospital() -> tuple[pl.DataFrame, ...]:
    return _hospital()


def test_without_a_crosswalk_the_default_maps_by_competency_category(hospital) -> None:
    incidents, census, series = hospital
    xw = resolve_crosswalk(_crosswalk([]), CATALOGUE, incidents)
    assert [w.code for w in xw.warnings] == ["crosswalk_missing_default_used"]
    falls = xw.pairs.filter(pl.col("category") == "fall")
    assert set(falls["competency_id"]) == {"k.falls", "k.mobility"}  # both 'safety'
    assert set(xw.pairs.filter(pl.col("category") == "privacy_breach")["competency_id"]) == {
        "k.privacy"
    }
    out = linkage(incidents, census, series, xw.pairs)
    row = out.filter((pl.col("category") == "fall") & (pl.col("competency_id") == "k.falls"))
    assert row.filter(pl.col("gap_kind") == "compliance")["estimable"].item()


def test_the_shipped_example_crosswalk_on_another_catalogue_is_an_error_not_blank(
    hospital,
) -> None:
    """Old behaviour: 'no department-months with the competency' on every row, no warning."""
    incidents, census, series = hospital
    shipped = pl.read_csv(seed_bytes("category_competency"))
    xw = resolve_crosswalk(shipped, CATALOGUE, incidents)
    codes = {w.code: w for w in xw.warnings}
    assert codes["crosswalk_names_no_competency"].severity == "error"
    assert "falls_prevention" in codes["crosswalk_names_no_competency"].detail
    out = linkage(incidents, census, series, xw.pairs)
    assert out.filter(pl.col("estimable")).height > 0
    assert set(out["competency_id"]) <= set(CATALOGUE["competency_id"])


def test_unknown_rows_are_dropped_and_listed(hospital) -> None:
    incidents = hospital[0]
    xw = resolve_crosswalk(
        _crosswalk([("fall", "k.falls", 1.0), ("fall", "falls-prevention", 1.0)]),
        CATALOGUE,
        incidents,
    )
    warning = next(w for w in xw.warnings if w.code == "crosswalk_unknown_competencies")
    assert warning.severity == "warning" and "falls-prevention" in warning.detail
    assert xw.pairs["competency_id"].to_list() == ["k.falls"]
    assert "incident_category_unmapped" in {w.code for w in xw.warnings}


def test_primary_pair_rule_weight_then_criticality_then_id() -> None:
    pairs = resolve_crosswalk(
        _crosswalk(
            [
                ("fall", "k.falls", 1.0),
                ("fall", "k.mobility", 0.5),
                ("medication", "k.meds", 1.0),
                ("medication", "k.privacy", 1.0),
            ]
        ),
        CATALOGUE,
        pl.DataFrame(),
    ).pairs
    assert primary_pairs(pairs) == {"fall": "k.falls", "medication": "k.meds"}


def test_linkage_table_follows_the_contract(hospital) -> None:
    incidents, census, series = hospital
    xw = _crosswalk(
        [("fall", "k.falls", 1.0), ("fall", "k.mobility", 0.5), ("medication", "k.meds", 1.0)]
    )
    out = linkage(incidents, census, series, resolve_crosswalk(xw, CATALOGUE, incidents).pairs)
    assert set(SCHEMA) <= set(out.columns)
    main = out.filter(~pl.col("negative_control"))
    assert main.group_by("category", "competency_id", "gap_kind").len()["len"].max() == 1
    assert main.height == 6  # 3 pairs x 2 gap kinds
    primary = out.filter(pl.col("is_primary"))
    assert sorted(primary["category"]) == ["fall", "medication"]
    assert set(primary["gap_kind"]) == {"compliance"}
    falls = primary.filter(pl.col("category") == "fall").row(0, named=True)
    assert falls["irr_lo"] < 1.5 < falls["irr_hi"] and falls["p_value"] < 0.01
    assert falls["q_value"] == falls["p_value"] and falls["e_value"] > 1
    secondary = main.filter(~pl.col("is_primary") & pl.col("estimable"))
    assert (secondary["q_value"] >= secondary["p_value"]).all()
    controls = out.filter(pl.col("negative_control"))
    assert sorted(controls["competency_id"]) == ["k.falls", "k.meds"]
    assert set(controls["category"]) == {"privacy_breach"}
    assert controls["q_value"].is_null().all()


def test_readiness_gap_rows_say_why_when_there_is_no_readiness(hospital) -> None:
    incidents, census, series = hospital
    pairs = resolve_crosswalk(_crosswalk([("fall", "k.falls", 1.0)]), CATALOGUE, incidents).pairs
    out = linkage(incidents, census, series.drop("readiness"), pairs)
    row = out.filter(pl.col("gap_kind") == "readiness").row(0, named=True)
    assert not row["estimable"] and row["reason"] == "no readiness series computed"
    assert row["irr"] is None and row["irr_lo"] is None


def test_no_census_is_one_row_that_says_so() -> None:
    empty = pl.DataFrame(
        schema={"department_id": pl.Utf8, "month": pl.Date, "patient_days": pl.Float64}
    )
    out = linkage(pl.DataFrame(), empty, pl.DataFrame(), pl.DataFrame())
    assert out["estimable"].to_list() == [False] and out["reason"][0] == NO_CENSUS


def test_a_new_warehouse_carries_no_crosswalk_of_its_own(tmp_path: Path) -> None:
    """The seed's underscore ids no longer sit beside the hospital's imported ones."""
    from analytics.warehouse import Warehouse

    wh = Warehouse(tmp_path / "wh.duckdb")
    with wh.write() as conn:
        pass
    with wh.read() as conn:
        assert conn.execute("SELECT count(*) FROM category_competency").fetchone() == (0,)


def test_negative_control_is_the_first_unmapped_candidate_with_enough_events() -> None:
    from analytics.linkage_models import LinkageSettings, negative_control_for

    pairs = _crosswalk([("privacy_breach", "k.privacy", 1.0), ("fall", "k.falls", 1.0)])
    totals = {"privacy_breach": 40, "sharps_exposure": 12, "workplace_violence": 50}
    settings = LinkageSettings()
    assert negative_control_for("k.falls", pairs, totals, settings) == "privacy_breach"
    assert negative_control_for("k.privacy", pairs, totals, settings) == "sharps_exposure"
    few = {"privacy_breach": 3, "sharps_exposure": 9, "workplace_violence": 10}
    assert negative_control_for("k.falls", pairs, few, settings) == "workplace_violence"
    assert negative_control_for("k.falls", pairs, {}, settings) is None
