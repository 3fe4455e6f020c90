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
from analytics.models.halflife import calibrate
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


def simulated(n: int, h: float, m: float, seed: int) -> pl.DataFrame:
    """Initial pass on day 0, recertification first attempt delta days later."""
    rng = np.random.default_rng(seed)
    start = date(2022, 1, 1)
    rows: list[dict[str, Any]] = []
    for i, delta in enumerate(rng.uniform(20, 400, n).round()):
        ok = rng.random() < m * 2 ** (-delta / h)
        rows.append({"person_key": f"p{i}", "competency_id": "C1", "statement_id": f"i{i}",
                     "kind": "passed", "at": ts(start), "first_attempt": True})  # fmt: skip
        rows.append({"person_key": f"p{i}", "competency_id": "C1", "statement_id": f"r{i}",
                     "kind": "passed" if ok else "failed",
                     "at": ts(start + timedelta(days=int(delta))), "first_attempt": True})  # fmt: skip
    return evidence_rows(rows)


def test_calibration_recovers_planted_half_life_and_improves_brier() -> None:
    out = calibrate(simulated(600, h=90.0, m=0.95, seed=7), COMPS).row(0, named=True)
    assert out["calibrated"] is True
    assert out["default_half_life_days"] == 365.0
    assert out["half_life_days"] == pytest.approx(90.0, rel=0.2)
    assert out["comprehension_m"] == pytest.approx(0.95, abs=0.08)
    assert out["brier_after"] < out["brier_before"]


def test_calibration_needs_enough_attempts() -> None:
    out = calibrate(simulated(20, h=90.0, m=0.95, seed=1), COMPS).row(0, named=True)
    assert out["calibrated"] is False
    assert out["half_life_days"] == 365.0
    assert out["n_attempts"] == 20
    assert out["brier_before"] is None


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
