"""Scale: 2,000 staff x 40 competencies x 18 months of statements (480k statements).

The whole pipeline runs in about a second, so this guards the vectorised paths in every run.
``pytest tests/analytics/models/test_scale.py -s`` prints the timings; the test asserts shapes
and invariants only (no timed assertions).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from analytics.models.compliance import STATUSES, compliance_status
from analytics.models.evidence import answered_items, evidence
from analytics.models.forecast import forecast
from analytics.models.readiness import readiness
from analytics.models.rollup import department_compliance, department_readiness
from tests.analytics.models.frames import ADL, STATEMENT_SCHEMA, certs, changes, staff

N_STAFF, N_COMP, ITEMS = 2000, 40, 5
AS_OF = date(2024, 6, 30)


def synthetic(seed: int = 3) -> dict[str, pl.DataFrame]:
    """Each person x competency: one AU attempt (answered x5, passed/failed) in 18 months."""
    rng = np.random.default_rng(seed)
    comps = [f"C{c:02d}" for c in range(N_COMP)]
    stf = staff(
        [
            (f"p{i}", f"D{i % 20}", "RN", date(2019, 1, 1), None, 1.0, "employee")
            for i in range(N_STAFF)
        ]
    )
    n = N_STAFF * N_COMP
    person = np.repeat(np.arange(N_STAFF), N_COMP)
    comp = np.tile(np.arange(N_COMP), N_STAFF)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    offs = rng.integers(0, 545, n)
    reg = [f"r{i}" for i in range(n)]
    base = pl.DataFrame(
        {
            "person_key": [f"p{p}" for p in person],
            "au": [f"http://ex/{comps[c]}/au" for c in comp],
            "registration": reg,
            "timestamp": [start + timedelta(days=int(o)) for o in offs],
            "ok": rng.random(n) < 0.85,
            "duration_s": rng.uniform(100, 900, n),
        }
    )
    verb = pl.lit(ADL + "passed")
    parts = [
        base.with_columns(
            statement_id=pl.format("s{}-{}", pl.int_range(pl.len()), pl.lit(k)),
            verb_id=pl.lit(ADL + "answered"),
            object_id=pl.format("{}/q{}", "au", pl.lit(k)),
            parent_ids=pl.concat_list("au"),
            success=rng.random(n) < 0.8,
        )
        for k in range(ITEMS)
    ]
    parts.append(
        base.with_columns(
            statement_id=pl.format("s{}-x", pl.int_range(pl.len())),
            verb_id=pl.when("ok").then(verb).otherwise(pl.lit(ADL + "failed")),
            object_id="au",
            parent_ids=pl.lit([], pl.List(pl.Utf8)),
            success="ok",
        )
    )
    st = pl.concat(parts).with_columns(
        grouping_ids=pl.lit([], pl.List(pl.Utf8)),
        category_ids=pl.lit([], pl.List(pl.Utf8)),
        stored=pl.col("timestamp"),
        role_code=pl.lit("RN"),
    )
    st = st.select(
        [pl.col(c) if c in st.columns else pl.lit(None).alias(c) for c in STATEMENT_SCHEMA]
    )
    amap = pl.DataFrame(
        {
            "activity_id": [f"http://ex/{c}/*" for c in comps],
            "competency_id": comps,
            "evidence_type": "knowledge_check",
            "weight": 1.0,
            "mastery_threshold": 0.8,
        }
    )
    reqs = pl.DataFrame(
        {
            "role_code": "RN",
            "competency_id": comps,
            "recert_interval_days": 365,
            "initial_due_days": 30,
            "grace_days": 14,
            "evidence_rule": "passed",
        }
    )
    cmp = pl.DataFrame(
        {"competency_id": comps, "name": comps, "category": "clinical", "criticality": 2,
         "half_life_days": None}, schema_overrides={"half_life_days": pl.Float64},
    )  # fmt: skip
    return {
        "statements": st.cast(STATEMENT_SCHEMA),
        "staff": stf,
        "map": amap,
        "reqs": reqs,
        "competencies": cmp,
        "changes": changes([("C01", date(2024, 3, 1), True, 60, 0.5)]),
        "certs": certs([("p1", "C02", date(2024, 1, 1), date(2026, 1, 1))]),
    }


def test_full_pipeline_at_scale() -> None:
    d = synthetic()
    t0 = time.perf_counter()
    ev = evidence(d["statements"], d["map"], d["reqs"])
    items = answered_items(d["statements"], d["map"])
    t1 = time.perf_counter()
    status = compliance_status(AS_OF, d["staff"], d["reqs"], ev, d["certs"], d["changes"])
    t2 = time.perf_counter()
    ready = readiness(
        AS_OF, d["staff"], d["reqs"], d["competencies"], ev, items, d["changes"],
        certifications=d["certs"],
    )  # fmt: skip
    t3 = time.perf_counter()
    dc = department_compliance(status, d["staff"])
    dr = department_readiness(ready, d["staff"])
    fc = forecast(AS_OF, status, ready, d["staff"], d["changes"])
    t4 = time.perf_counter()
    print(
        f"\nstatements={d['statements'].height} evidence={ev.height} items={items.height}"
        f"\nevidence+items {t1 - t0:.2f}s status {t2 - t1:.2f}s readiness {t3 - t2:.2f}s"
        f" rollups+forecast {t4 - t3:.2f}s"
    )
    assert status.height == N_STAFF * N_COMP == ready.height
    assert set(status["status"].unique()) <= set(STATUSES)
    assert dc.height == dr.height == 20 * N_COMP
    assert fc.height == 20 * N_COMP * 4
    assert ready["readiness"].is_between(0.0, 1.0).all()
