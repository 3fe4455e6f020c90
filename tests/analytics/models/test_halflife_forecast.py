"""Half-life calibration recovers a planted value; forecast sees expiries coming."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from analytics.models.compliance import compliance_status
from analytics.models.evidence import evidence
from analytics.models.forecast import forecast
from analytics.models.halflife import calibrate, recert_attempts
from analytics.models.readiness import readiness
from analytics.models.settings import ModelSettings
from tests.analytics.models.frames import (
    NO_CHANGES,
    answered,
    certs,
    competencies,
    evidence_rows,
    requirements,
    staff,
    statements,
    ts,
)

COMPS = competencies([("C1", "regulatory", None)])


AS_OF_CAL = date(2025, 6, 30)


def simulated(
    n: int, h: float | None, m: float, seed: int, comp: str = "C1"
) -> list[dict[str, Any]]:
    """Initial passes over three years, a recertification first attempt delta days later."""
    rng = np.random.default_rng(seed)
    start = date(2022, 1, 1)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        d0 = start + timedelta(days=int(rng.integers(0, 900)))
        delta = int(rng.integers(20, 400))
        ok = rng.random() < m * (2 ** (-delta / h) if h else 1.0)
        rows.append({"person_key": f"{comp}p{i}", "competency_id": comp, "statement_id": f"{comp}i{i}",
                     "kind": "passed", "at": ts(d0), "first_attempt": True})  # fmt: skip
        rows.append({"person_key": f"{comp}p{i}", "competency_id": comp, "statement_id": f"{comp}r{i}",
                     "kind": "passed" if ok else "failed",
                     "at": ts(d0 + timedelta(days=delta)), "first_attempt": True})  # fmt: skip
    return rows


def test_calibration_recovers_planted_half_life_out_of_time() -> None:
    ev = evidence_rows(simulated(1500, h=90.0, m=0.95, seed=7))
    out = calibrate(ev, COMPS, as_of=AS_OF_CAL).row(0, named=True)
    assert out["default_half_life_days"] == 365.0  # regulatory prior
    assert (out["source"], out["calibrated"], out["reason"]) == ("fitted", True, None)
    assert out["half_life_days"] == pytest.approx(90.0, rel=0.25)
    assert out["comprehension_m"] == pytest.approx(0.95, abs=0.08)
    assert out["n_train"] > 300 and out["n_test"] > 300
    assert out["brier_model"] < out["brier_baseline"]
    assert abs(out["calibration_in_the_large"]) < 0.05
    assert 0.7 < out["calibration_slope"] < 1.4
    assert out["cutoff"] == AS_OF_CAL - timedelta(days=365)


def test_half_lives_stay_inside_the_bounds() -> None:
    # Nearly no decay: an unbounded fit runs off to decades (issue 14: 2,200-36,500 days).
    ev = evidence_rows(simulated(1500, h=None, m=0.9, seed=3))
    out = calibrate(ev, COMPS, as_of=AS_OF_CAL).row(0, named=True)
    assert 30.0 <= out["fitted_half_life_days"] <= 1095.0
    assert 30.0 <= out["half_life_days"] <= 1095.0


def test_pooling_keeps_a_thin_competency_near_its_prior() -> None:
    comps = competencies([("C1", "regulatory", None), ("C2", "resuscitation", None)])
    rows = simulated(1500, h=200.0, m=0.95, seed=5) + simulated(
        12, h=20.0, m=0.95, seed=6, comp="C2"
    )
    out = calibrate(evidence_rows(rows), comps, as_of=AS_OF_CAL)
    c2 = out.filter(pl.col("competency_id") == "C2").row(0, named=True)
    assert c2["source"] == "prior" and "attempts before the cut-off" in c2["reason"]
    assert c2["half_life_days"] == 120.0  # the prior is used, and the table says so
    assert 40.0 < c2["fitted_half_life_days"] < 400.0  # 12 attempts cannot drag it to 20


def test_calibration_without_attempts_uses_the_prior() -> None:
    out = calibrate(evidence_rows([]), COMPS, as_of=AS_OF_CAL).row(0, named=True)
    assert (out["source"], out["half_life_days"], out["n_attempts"]) == ("prior", 365.0, 0)
    assert out["brier_model"] is None and "no recertification" in out["reason"]


def test_forecast_cert_expiring_in_45_days_drops_at_60_not_30() -> None:
    as_of = date(2024, 6, 30)
    stf = staff([(p, "D1", "RN", date(2020, 1, 1), None, 1.0, "employee") for p in ("a", "b")])
    reqs = requirements([("RN", "C1", 365, 30, 0, "passed")])
    crt = certs(
        [
            ("a", "C1", date(2022, 8, 14), as_of + timedelta(days=45)),
            ("b", "C1", date(2024, 6, 1), date(2026, 6, 1)),
        ]
    )
    ev = evidence(statements([]), pl.DataFrame(schema={"activity_id": pl.Utf8,
                  "competency_id": pl.Utf8, "mastery_threshold": pl.Float64}))  # fmt: skip
    status = compliance_status(as_of, stf, reqs, ev, crt, NO_CHANGES)
    ready = readiness(as_of, stf, reqs, COMPS, ev, answered([]), NO_CHANGES, certifications=crt)
    out = forecast(as_of, status, ready, stf)
    rate = dict(zip(out["horizon_days"], out["compliance_rate"], strict=True))
    assert rate == {0: 1.0, 30: 1.0, 60: 0.5, 90: 0.5}
    assert out["time_to_red_days"].unique().to_list() == [46]
    assert out["red_on"].unique().to_list() == [as_of + timedelta(days=46)]
    # certification cards only: no assessment evidence, so no readiness number at any horizon
    assert out["readiness"].null_count() == out.height


def test_forecast_readiness_decays_without_new_training() -> None:
    as_of = date(2024, 6, 30)
    stf = staff([(p, "D1", "RN", date(2020, 1, 1), None, 1.0, "employee") for p in ("a", "b")])
    reqs = requirements([("RN", "C1", 365, 30, 0, "passed")])
    ev = evidence_rows([{"person_key": p, "competency_id": "C1", "statement_id": p,
                         "kind": "passed", "at": ts(date(2024, 5, 1)), "first_attempt": True}
                        for p in ("a", "b")])  # fmt: skip
    status = compliance_status(as_of, stf, reqs, ev, certs([]), NO_CHANGES)
    ready = readiness(as_of, stf, reqs, COMPS, ev, answered([]), NO_CHANGES)
    out = forecast(as_of, status, ready, stf)
    r = dict(zip(out["horizon_days"], out["readiness"], strict=True))
    assert r[0] > r[30] > r[60] > r[90] > 0  # retention decays with no new training


def test_forecast_leaver_leaves_denominator_and_target_setting() -> None:
    as_of = date(2024, 6, 30)
    stf = staff(
        [
            ("a", "D1", "RN", date(2020, 1, 1), as_of + timedelta(days=10), 1.0, "employee"),
            ("b", "D1", "RN", date(2020, 1, 1), None, 1.0, "employee"),
        ]
    )
    reqs = requirements([("RN", "C1", 365, 30, 0, "passed")])
    crt = certs([("a", "C1", date(2024, 1, 1), date(2026, 1, 1))])  # b never certified
    ev = evidence_rows([])
    status = compliance_status(as_of, stf, reqs, ev, crt, NO_CHANGES)
    ready = readiness(as_of, stf, reqs, COMPS, ev, answered([]), NO_CHANGES, certifications=crt)
    out = forecast(as_of, status, ready, stf, settings=ModelSettings(target_compliance=0.4))
    rate = dict(zip(out["horizon_days"], out["compliance_rate"], strict=True))
    assert rate == {0: 0.5, 30: 0.0, 60: 0.0, 90: 0.0}
    n = dict(zip(out["horizon_days"], out["n_required"], strict=True))
    assert n == {0: 2, 30: 1, 60: 1, 90: 1}
    assert out["time_to_red_days"].unique().to_list() == [11]


def test_a_units_own_completed_is_not_the_previous_training() -> None:
    # cmi5 sends `completed` seconds before `passed`: the recertification's delta is from the
    # training a year before, not from its own `completed` (which left no attempts at all).
    rows: list[dict[str, Any]] = []
    for i, (d0, d1) in enumerate([(date(2023, 1, 5), date(2024, 1, 10))] * 3):
        for k, (day, sec) in enumerate([(d0, 0), (d0, 5), (d1, 0), (d1, 5)]):
            kind = "completed" if sec == 0 else "passed"
            at = ts(day) + timedelta(seconds=sec)
            rows.append({"person_key": f"p{i}", "competency_id": "C1", "statement_id": f"{i}-{k}",
                         "kind": kind, "at": at, "first_attempt": kind == "passed"})  # fmt: skip
    att = recert_attempts(evidence_rows(rows))
    assert att.height == 3
    assert att["delta_days"].to_list() == pytest.approx([370.0] * 3, abs=0.01)
