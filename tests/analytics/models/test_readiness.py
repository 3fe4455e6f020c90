"""Readiness: comprehension smoothing, retention, review walk, carryover, click-through."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from analytics.models.comprehension import click_through, comprehension
from analytics.models.readiness import readiness
from analytics.models.rollup import department_readiness
from analytics.models.settings import ModelSettings
from tests.analytics.models.frames import (
    NO_CHANGES,
    answered,
    certs,
    changes,
    competencies,
    evidence_rows,
    requirements,
    staff,
    ts,
)

AS_OF = date(2024, 6, 30)
OLD = date(2020, 1, 1)
COMPS = competencies([("C1", "clinical", None), ("C2", "resuscitation", 120.0)])
REQS = requirements([("RN", "C1", 365, 30, 0, "passed"), ("RN", "C2", 365, 30, 0, "passed")])


def people(*keys: str) -> pl.DataFrame:
    return staff([(k, "D1", "RN", OLD, None, 1.0, "employee") for k in keys])


def ev(person: str, comp: str, kind: str, on: date, **kw: Any) -> dict[str, Any]:
    sid = f"{person}-{comp}-{kind}-{on.isoformat()}"
    return {"person_key": person, "competency_id": comp, "statement_id": sid, "kind": kind,
            "at": ts(on), "first_attempt": kind in ("passed", "failed"), **kw}  # fmt: skip


def run(stf: pl.DataFrame, rows: list[dict[str, Any]], items: pl.DataFrame | None = None,
        chg: pl.DataFrame = NO_CHANGES) -> pl.DataFrame:  # fmt: skip
    items = items if items is not None else answered([])
    return readiness(AS_OF, stf, REQS, COMPS, evidence_rows(rows), items, chg, ModelSettings())


def cell(out: pl.DataFrame, person: str, comp: str, col: str) -> Any:
    return out.filter(pl.col("person_key") == person, pl.col("competency_id") == comp)[col].item()


def test_smoothing_pulls_three_item_person_toward_mean() -> None:
    rows = [("pX", "C1", "q", None, True, AS_OF)] * 3
    for i in range(10):  # ten people, 7 of 10 right each
        rows += [(f"p{i}", "C1", "q", None, j < 7, AS_OF) for j in range(10)]
    out = comprehension(AS_OF, evidence_rows([]), answered(rows))
    mu = 73 / 103
    m_x = cell(out, "pX", "C1", "comprehension")
    assert m_x == pytest.approx((3 + 8 * mu) / (3 + 8))
    assert mu < m_x < 0.9  # raw 3/3 = 1.0 is pulled well toward the mean
    assert cell(out, "p0", "C1", "comprehension") == pytest.approx((7 + 8 * mu) / 18)


def test_decaying_part_halves_after_one_half_life() -> None:
    out = run(people("a"), [ev("a", "C1", "passed", AS_OF - timedelta(days=180))])
    assert cell(out, "a", "C1", "half_life_days") == 180.0  # clinical default
    assert cell(out, "a", "C1", "retention_floor") == 0.5  # prior floor f
    assert cell(out, "a", "C1", "retention") == pytest.approx(0.5 + 0.5 * 0.5)
    assert cell(out, "a", "C1", "comprehension") == pytest.approx(1.0)  # only data: mean 1
    assert cell(out, "a", "C1", "readiness") == pytest.approx(0.75)
    no_floor = readiness(AS_OF, people("a"), REQS, COMPS,
                         evidence_rows([ev("a", "C1", "passed", AS_OF - timedelta(days=180))]),
                         answered([]), NO_CHANGES, ModelSettings(retention_floor_prior=1e-9))  # fmt: skip
    assert cell(no_floor, "a", "C1", "readiness") == pytest.approx(0.5)


def test_half_life_is_the_competencys_whatever_the_review_history() -> None:
    # No "h doubles on a successful review / halves on a failure" walk (issue 14): the
    # half-life is the competency's (prior or calibrated), so these three people share it.
    d0 = date(2023, 1, 1)
    rows = [ev("rev", "C2", "passed", d0), ev("rev", "C2", "passed", d0 + timedelta(days=200))]
    rows += [ev("fail", "C2", "passed", d0), ev("fail", "C2", "failed", d0 + timedelta(days=200))]
    floor = [ev("flo", "C2", "passed", d0)]
    floor += [ev("flo", "C2", "failed", d0 + timedelta(days=40 * i)) for i in range(1, 5)]
    floor += [ev("flo", "C2", "passed", d0 + timedelta(days=300))]
    out = run(people("rev", "fail", "flo"), rows + floor)
    assert out["half_life_days"].to_list()[1::2] == [120.0, 120.0, 120.0]
    cal = pl.DataFrame({"competency_id": ["C2"], "half_life_days": [90.0]})
    out = readiness(AS_OF, people("rev"), REQS, COMPS, evidence_rows(rows), answered([]),
                    NO_CHANGES, half_lives=cal)  # fmt: skip
    assert cell(out, "rev", "C2", "half_life_days") == 90.0


def test_compliant_staff_after_failures_are_not_near_zero() -> None:
    # Issue 14: staff listed as compliant showed readiness of 1-3 %. Someone who failed four
    # times and then passed 60 days ago is compliant, and their readiness must say so.
    d0 = AS_OF - timedelta(days=360)
    rows = [ev("flo", "C2", "passed", d0)]
    rows += [ev("flo", "C2", "failed", d0 + timedelta(days=40 * i)) for i in range(1, 5)]
    rows += [ev("flo", "C2", "passed", AS_OF - timedelta(days=60))]
    rows += [ev(f"p{i}", "C2", "passed", AS_OF - timedelta(days=30)) for i in range(8)]
    out = run(people("flo", *(f"p{i}" for i in range(8))), rows)
    assert cell(out, "flo", "C2", "readiness_state") == "estimated"
    assert cell(out, "flo", "C2", "readiness") > 0.3  # M ~0.55 (4 of 6 failed) x R ~0.71


def test_carryover_after_protocol_change() -> None:
    rows = [ev("a", "C2", "passed", AS_OF - timedelta(days=120))]
    chg = changes([("C2", AS_OF - timedelta(days=10), True, 60, 0.4)])
    out = run(people("a"), rows, chg=chg)
    assert cell(out, "a", "C2", "carryover") == pytest.approx(0.4)
    assert cell(out, "a", "C2", "readiness") == pytest.approx(1.0 * 0.75 * 0.4)  # M R c
    earlier = changes([("C2", AS_OF - timedelta(days=200), True, 60, 0.4)])
    assert cell(run(people("a"), rows, chg=earlier), "a", "C2", "carryover") == 1.0


def test_never_passed_is_zero_and_waiver_only_is_marked() -> None:
    rows = [ev("a", "C1", "failed", AS_OF), ev("w", "C1", "waived", AS_OF)]
    rows += [ev("b", "C1", "passed", AS_OF), ev("a", "C2", "failed", AS_OF)]
    out = run(people("a", "b", "n", "w"), rows)
    assert cell(out, "a", "C1", "readiness") == 0.0
    assert cell(out, "n", "C1", "readiness") == 0.0
    assert cell(out, "n", "C2", "ever_passed") is False
    assert cell(out, "n", "C2", "readiness_state") == "never_passed"
    assert (cell(out, "n", "C2", "readiness_lo"), cell(out, "n", "C2", "readiness_hi")) == (0, 0)
    assert cell(out, "w", "C1", "waived_only") is True
    dept = department_readiness(out, people("a", "b", "n", "w"))
    c1 = dept.filter(pl.col("competency_id") == "C1").row(0, named=True)
    assert c1["n_required"] == 3  # the waived person is left out
    assert c1["weakest_competency_id"] == "C2"  # C2: assessed, nobody passed -> 0
    assert c1["weakest_readiness"] == 0.0


def test_click_through_flags() -> None:
    obj = "http://ex/au"
    rows = [ev(f"t{i}", "C1", "passed", AS_OF, object_id=obj, duration_s=600.0) for i in range(5)]
    rows += [ev("fast", "C1", "passed", AS_OF, object_id=obj, duration_s=100.0)]
    rows += [ev("noans", "C1", "passed", AS_OF, object_id="o2", registration="r1")]
    rows += [ev("ans", "C1", "passed", AS_OF, object_id="o2", registration="r2")]
    items = answered([("ans", "C1", "q1", "r2", True, AS_OF)])
    flags = click_through(evidence_rows(rows), items)
    by = {r["person_key"]: (r["no_answers"], r["too_fast"]) for r in flags.iter_rows(named=True)}
    assert by["fast"] == (False, True)
    assert by["t0"] == (False, False)
    assert by["noans"] == (True, False)
    assert by["ans"] == (False, False)
    out = run(people("fast", "noans", "ans"), rows, items)
    assert cell(out, "fast", "C1", "last_pass_click_through") is True
    assert cell(out, "ans", "C1", "click_through_passes") == 0


def test_certification_only_competency_has_no_number_and_is_never_weakest() -> None:
    # Issue 14: BLS, evidenced only by certification cards, got comprehension 1 and a fixed
    # half-life, and was the weakest competency in 14 of 14 departments.
    comps = competencies([("C1", "clinical", None), ("BLS", "resuscitation", None)])
    reqs = requirements([("RN", "C1", 365, 30, 0, "passed"), ("RN", "BLS", 730, 30, 0, "passed")])
    stf = people("a", "b", "c")
    rows = [ev(p, "C1", "passed", AS_OF - timedelta(days=20)) for p in ("a", "b", "c")]
    cards = certs([(p, "BLS", date(2023, 1, 1), date(2025, 1, 1)) for p in ("a", "b", "c")])
    out = readiness(AS_OF, stf, reqs, comps, evidence_rows(rows), answered([]), NO_CHANGES,
                    certifications=cards)  # fmt: skip
    bls = out.filter(pl.col("competency_id") == "BLS")
    assert bls["readiness"].null_count() == 3 and bls["readiness_lo"].null_count() == 3
    assert set(bls["readiness_state"]) == {"no_assessment_evidence"}
    dept = department_readiness(out, stf)
    row = dept.filter(pl.col("competency_id") == "BLS").row(0, named=True)
    assert row["readiness"] is None and row["readiness_state"] == "no_assessment_evidence"
    assert set(dept["weakest_competency_id"]) == {"C1"}
    c1 = dept.filter(pl.col("competency_id") == "C1").row(0, named=True)
    assert c1["weakest_readiness"] == c1["readiness"]  # picked by the number shown beside it
    assert c1["weakest_readiness_lo"] <= c1["readiness"] <= c1["weakest_readiness_hi"]


def test_interval_brackets_readiness_and_narrows_with_items() -> None:
    rows = [ev(p, "C1", "passed", AS_OF - timedelta(days=90)) for p in ("few", "many")]
    items = [("few", "C1", "q", None, True, AS_OF - timedelta(days=90))] * 2
    items += [("many", "C1", "q", None, j % 5 != 0, AS_OF - timedelta(days=90)) for j in range(200)]
    out = run(people("few", "many"), rows, answered(items))
    for p in ("few", "many"):
        lo, r, hi = (cell(out, p, "C1", c) for c in ("readiness_lo", "readiness", "readiness_hi"))
        assert 0.0 < lo < r < hi <= 1.0
    width = {p: cell(out, p, "C1", "readiness_hi") - cell(out, p, "C1", "readiness_lo")
             for p in ("few", "many")}  # fmt: skip
    assert width["many"] < width["few"]


def test_onboarding_staff_are_left_out_of_the_department_mean() -> None:
    stf = staff([("old", "D1", "RN", OLD, None, 1.0, "employee"),
                 ("new", "D1", "RN", AS_OF - timedelta(days=5), None, 1.0, "employee")])  # fmt: skip
    out = run(stf, [ev("old", "C1", "passed", AS_OF), ev("old", "C2", "passed", AS_OF)])
    assert cell(out, "new", "C1", "onboarding") is True
    c1 = department_readiness(out, stf).filter(pl.col("competency_id") == "C1").row(0, named=True)
    assert (c1["n_required"], c1["n_onboarding"]) == (1, 1)
    assert c1["readiness"] == pytest.approx(1.0)  # the new hire's 0 does not pull it down
