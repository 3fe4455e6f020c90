"""A synthetic warehouse that follows the contract of ANALYTICS.md §9, for dashboard tests.

``build(path)`` writes a small, seeded hospital: every flag kind in the latest month, a tiny
unit with insufficient data, a protocol change, clearance rows, census for every department
but one, incidents, linkage estimates and content quality. ``scale`` grows it for benchmarks.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

AS_OF = dt.date(2026, 1, 31)
REFRESHED = dt.datetime(2026, 1, 31, 6, 0, tzinfo=dt.UTC)
SERVICE_LINES = ("Critical care", "Medicine", "Surgery", "Women & children")
SITES = ("North", "South")
CATEGORIES = ("regulatory", "clinical", "safety", "privacy")
ROLES = (
    ("RN", "clinical", "Registered nurse"),
    ("HCA", "support", "Care assistant"),
    ("CLERK", "admin", "Ward clerk"),
    ("AGY", "contractor", "Agency nurse"),
)
STATUSES = (
    "compliant",
    "expiring_30",
    "expiring_60",
    "expired",
    "overdue",
    "update_due",
    "onboarding",
    "in_grace",
)


@dataclass(frozen=True)
class Fixture:
    """What was planted, so tests can assert on it."""

    path: Path
    departments: list[str]
    competencies: list[str]
    no_census: str
    tiny: str
    priority: tuple[str, str]
    declining: tuple[str, str]
    low: tuple[str, str]
    update: tuple[str, str]
    activities: list[str]
    cert_only: str


def _months(n: int) -> list[dt.date]:
    out, y, m = [], AS_OF.year, AS_OF.month
    for _ in range(n):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _dims(rng: np.random.Generator, n_dept: int, n_comp: int) -> dict[str, pl.DataFrame]:
    depts = pl.DataFrame(
        {
            "department_id": [f"D{i + 1}" for i in range(n_dept)],
            "name": [f"Ward {chr(65 + i % 26)}{i // 26 or ''}" for i in range(n_dept)],
            "service_line": [SERVICE_LINES[i % len(SERVICE_LINES)] for i in range(n_dept)],
            "unit_type": [("icu", "med_surg", "or", "peds")[i % 4] for i in range(n_dept)],
            "site": [SITES[(i // 2) % 2] for i in range(n_dept)],
        }
    )
    comps = pl.DataFrame(
        {
            "competency_id": [f"C{i + 1}" for i in range(n_comp)],
            "name": [f"Competency {i + 1}" for i in range(n_comp)],
            "category": [CATEGORIES[i % 4] for i in range(n_comp)],
            "criticality": [3 if i == 1 else 1 + i % 3 for i in range(n_comp)],
            "half_life_days": [120.0 + 60 * (i % 4) for i in range(n_comp)],
        }
    )
    roles = pl.DataFrame(ROLES, schema=["role_code", "role_family", "title"], orient="row")
    return {"departments": depts, "competencies": comps, "roles": roles}


def _staff(rng: np.random.Generator, depts: list[str], per_dept: int, tiny: str) -> pl.DataFrame:
    rows = []
    for d in depts:
        for j in range(4 if d == tiny else per_dept):
            role = ROLES[j % len(ROLES)][0]
            hire = AS_OF - dt.timedelta(days=int(rng.integers(20, 3000)))
            rows.append((f"pk-{d}-{j}", d, role, hire, None, 1.0, "employee"))
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "person_key": pl.Utf8,
            "department_id": pl.Utf8,
            "role_code": pl.Utf8,
            "hire_date": pl.Date,
            "end_date": pl.Date,
            "fte": pl.Float64,
            "employment_type": pl.Utf8,
        },
    )


def _status(rng: np.random.Generator, staff: pl.DataFrame, comps: list[str]) -> pl.DataFrame:
    rows = []
    for as_of in (AS_OF - dt.timedelta(days=31), AS_OF):
        for pk, dept, role in staff.select("person_key", "department_id", "role_code").iter_rows():
            for c in comps:
                status = STATUSES[
                    int(rng.choice(len(STATUSES), p=[0.55, 0.1, 0.1, 0.07, 0.05, 0.05, 0.04, 0.04]))
                ]
                last = as_of - dt.timedelta(days=int(rng.integers(1, 700)))
                expires = as_of + dt.timedelta(days=int(rng.integers(-30, 120)))
                ev = [f"st-{pk}-{c}-{k}" for k in range(1 + int(rng.integers(0, 2)))]
                r = float(rng.beta(8, 2))
                rows.append(
                    (
                        as_of,
                        pk,
                        c,
                        dept,
                        role,
                        status,
                        dt.datetime.combine(last, dt.time(9), dt.UTC),
                        as_of + dt.timedelta(days=30),
                        expires,
                        ev,
                        r,
                        float(rng.beta(9, 2)),
                        float(rng.beta(7, 3)),
                    )
                )
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "as_of": pl.Date,
            "person_key": pl.Utf8,
            "competency_id": pl.Utf8,
            "department_id": pl.Utf8,
            "role_code": pl.Utf8,
            "status": pl.Utf8,
            "last_evidence_at": pl.Datetime("us", "UTC"),
            "due_date": pl.Date,
            "expires_on": pl.Date,
            "evidence_ids": pl.List(pl.Utf8),
            "readiness": pl.Float64,
            "comprehension": pl.Float64,
            "first_attempt_mastery": pl.Float64,
        },
    )


def _monthly(
    rng: np.random.Generator,
    fx: dict[str, object],
    depts: list[str],
    comps: list[str],
    months: list[dt.date],
    sizes: dict[str, int],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    dcm, flags = [], []
    planted = {
        fx["priority"]: "PRIORITY",
        fx["declining"]: "DECLINING",
        fx["low"]: "LOW",
        fx["update"]: "UPDATE_IN_PROGRESS",
    }
    for d in depts:
        for c in comps:
            base = float(rng.uniform(0.82, 0.97))
            kind = planted.get((d, c))
            for k, m in enumerate(months):
                n = sizes[d]
                drift = -0.02 * max(0, k - 5) if kind in ("PRIORITY", "DECLINING") else 0.0
                level = base - (0.25 if kind == "LOW" else 0.0) + drift
                rate = float(np.clip(level + rng.normal(0, 0.02), 0.05, 1.0))
                comp_n = round(rate * n)
                shrunk = (comp_n + 2 * 0.9) / (n + 2)
                half = 1.96 * (shrunk * (1 - shrunk) / (n + 2)) ** 0.5
                ready: float | None = float(np.clip(rate - 0.08 + rng.normal(0, 0.02), 0, 1))
                state = "estimated"
                if c == fx["cert_only"]:
                    ready, state = None, "no_assessment_evidence"
                ewma = shrunk if k == 0 else 0.8 * dcm[-1][12] + 0.2 * shrunk
                dcm.append(
                    (
                        d,
                        c,
                        m,
                        n,
                        comp_n,
                        comp_n / n,
                        shrunk,
                        max(0.0, shrunk - half),
                        min(1.0, shrunk + half),
                        ready,
                        None if ready is None else max(0.0, ready - half),
                        None if ready is None else min(1.0, ready + half),
                        ewma,
                        base - 0.06,
                        state,
                    )
                )
                flag = "INSUFFICIENT_DATA" if n < 5 else "OK"
                if k == len(months) - 1 and kind:
                    flag = kind
                elif kind in ("PRIORITY", "DECLINING") and k >= len(months) - 3 and n >= 5:
                    flag = "DECLINING"
                expl = {
                    "decomposition": {
                        "expiries": 2,
                        "failed_assessments": 1,
                        "new_hires_onboarding": 1,
                        "protocol_invalidation": 1,
                        "turnover": 0,
                        "never_passed_overdue": 1,
                    },
                    "text": f"{c} fell in {d}: mostly expiries.",
                    "reason": f"{kind or flag} in {d} / {c}: 3 more staff lapsed than the "
                    "baseline predicts, mostly expired certificates.",
                    "n_onboarding": 1,
                }
                flags.append(
                    (
                        d,
                        c,
                        m,
                        flag,
                        "EWMA + Mann-Kendall/Sen (BH q<0.10)",
                        base,
                        rate,
                        drift and -0.02,
                        -0.03,
                        -0.01,
                        n,
                        json.dumps(expl),
                        base - 0.12,
                    )
                )
    dcm_df = pl.DataFrame(
        dcm,
        orient="row",
        schema=[
            "department_id",
            "competency_id",
            "month",
            "n_required",
            "n_compliant",
            "compliance_rate",
            "compliance_shrunk",
            "compliance_lo",
            "compliance_hi",
            "readiness",
            "readiness_lo",
            "readiness_hi",
            "ewma",
            "ewma_lcl",
            "readiness_state",
        ],
        infer_schema_length=None,
    )
    flags_df = pl.DataFrame(
        flags,
        orient="row",
        schema=[
            "department_id",
            "competency_id",
            "month",
            "flag",
            "method",
            "baseline",
            "current",
            "slope",
            "slope_ci_low",
            "slope_ci_high",
            "n",
            "explanation",
            "low_limit",
        ],
    )
    return dcm_df, flags_df.with_columns(pl.col("slope").cast(pl.Float64))


def _safety(
    rng: np.random.Generator, depts: list[str], months: list[dt.date], no_census: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    census, rates = [], []
    for d in depts:
        if d == no_census:
            continue
        for m in months:
            pd_ = int(rng.integers(400, 1200))
            harm, near = int(rng.poisson(pd_ * 0.004)), int(rng.poisson(pd_ * 0.02))
            census.append((d, m, pd_, float(pd_ * 9)))
            rates.append(
                (
                    d,
                    m,
                    pd_,
                    harm,
                    harm * 1000 / pd_,
                    near,
                    near * 1000 / pd_,
                    harm < 11,
                    harm < 11,
                    near < 11,
                )
            )
    c = pl.DataFrame(
        census,
        orient="row",
        schema=["department_id", "month", "patient_days", "staff_hours_worked"],
    )
    r = pl.DataFrame(
        rates,
        orient="row",
        schema=[
            "department_id",
            "month",
            "patient_days",
            "harm_events",
            "harm_rate_per_1000",
            "near_misses",
            "near_miss_rate_per_1000",
            "suppressed",
            "harm_suppressed",
            "near_miss_suppressed",
        ],
    )
    return c, r


def _content(rng: np.random.Generator, comps: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One course per competency, ids shaped like the demo's (last segment "assessment")."""
    acts = activity_ids(comps)
    n_act = len(acts)
    aq = pl.DataFrame(
        {
            "activity_id": acts,
            "first_attempt_pass_rate": rng.uniform(0.5, 0.95, n_act),
            "attempts_to_pass": rng.uniform(1.0, 2.2, n_act),
            "click_through_rate": rng.uniform(0.0, 0.3, n_act),
            "n_learners": rng.integers(10, 200, n_act),
        }
    )
    items = [
        (
            a,
            f"{a}/q{j}",
            float(rng.uniform(0.2, 0.95)),
            float(rng.uniform(-0.1, 0.6)),
            int(rng.integers(10, 200)),
        )
        for a in acts
        for j in range(5)
    ]
    iq = pl.DataFrame(
        items, orient="row", schema=["activity_id", "item_id", "difficulty", "discrimination", "n"]
    )
    return aq, iq


def activity_ids(comps: list[str]) -> list[str]:
    """The course (cmi5 AU) ids of the competencies: all end in ``/au/assessment``."""
    return [f"https://lms.example.org/courses/{c}/au/assessment" for c in comps]


def _write(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    con.register("_frame", frame.to_arrow())
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _frame')
    con.unregister("_frame")


def build(
    path: Path,
    *,
    departments: int = 6,
    competencies: int = 5,
    staff_per_dept: int = 8,
    months: int = 12,
    seed: int = 7,
    census: bool = True,
    demo: bool = True,
    statements: int = 48,
    contract: bool = True,
) -> Fixture:
    """Write the warehouse at ``path`` (and its identity file) and return what was planted."""
    rng = np.random.default_rng(seed)
    dims = _dims(rng, departments, competencies)
    depts = dims["departments"]["department_id"].to_list()
    comps = dims["competencies"]["competency_id"].to_list()
    tiny, no_census = depts[-2], depts[-1]
    fx: dict[str, object] = {
        "priority": (depts[0], comps[1]),
        "declining": (depts[1], comps[0]),
        "low": (depts[2], comps[2]),
        "update": (depts[0], comps[3]),
        "cert_only": comps[-1],
    }
    staff = _staff(rng, depts, staff_per_dept, tiny)
    sizes = {d: (4 if d == tiny else staff_per_dept) for d in depts}
    month_list = _months(months)
    dcm, flags = _monthly(rng, fx, depts, comps, month_list, sizes)
    tables = {
        **dims,
        "staff": staff,
        "person_competency_status": _status(rng, staff, comps),
        "dept_competency_month": dcm,
        "flags": flags,
    }
    tables.update(_extras(rng, staff, comps, month_list, depts, no_census))
    tables["department_readiness"] = _department_readiness(dcm)
    tables["person_competency_status"] = _person_contract(
        tables["person_competency_status"], str(fx["cert_only"])
    )
    if contract:  # i14flags: no EWMA test any more, the LOW funnel limit is on the flags
        tables["dept_competency_month"] = dcm.with_columns(
            ewma_lcl=pl.lit(None, pl.Float64),
            # one new hire onboarding per larger cell: the denominator of every rate
            n_established=pl.max_horizontal(
                pl.col("n_compliant"),
                pl.col("n_required") - (pl.col("n_required") >= 8).cast(pl.Int64),
            ),
        )
    else:
        _legacy(tables)
    if not census:
        tables.pop("census"), tables.pop("incident_rates")
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for name, frame in tables.items():
            _write(con, name, frame)
        con.execute(
            "CREATE TABLE statements_all AS SELECT 'st-' || i AS statement_id, "
            "CASE WHEN i % 16 = 5 THEN NULL ELSE 'pk-D1-0' END AS person_key, "
            "CASE WHEN i % 16 = 5 THEN 'ak-unmatched-' || (i % 3) ELSE 'pk-D1-0' END "
            "AS actor_key, 'http://adlnet.gov/expapi/verbs/passed' AS verb_id, "
            "? AS object_id, false AS voided, false AS is_voiding, "
            "TIMESTAMPTZ '2026-01-31 05:00:00+00' - i * INTERVAL 1 HOUR AS stored, "
            "TIMESTAMPTZ '2026-01-31 05:00:00+00' - i * INTERVAL 1 HOUR AS \"timestamp\" "
            "FROM range(?) t(i)",
            [activity_ids(comps)[0], statements],
        )
        con.execute("CREATE VIEW statements AS SELECT * FROM statements_all")
        con.execute(
            "CREATE TABLE etl_state AS SELECT 48 AS last_seq, ?::TIMESTAMPTZ AS refreshed_at, "
            "?::DATE AS as_of",
            [REFRESHED, AS_OF],
        )
        if demo:
            con.execute("CREATE TABLE demo_marker AS SELECT 'synthetic' AS note")
    ident = path.with_name(f"{path.stem}.identity.duckdb")
    with duckdb.connect(str(ident)) as con:
        idm = staff.select("person_key").with_columns(
            person_id=pl.col("person_key").str.replace("pk-", "E"),
            mbox=pl.lit("mailto:") + pl.col("person_key") + pl.lit("@hospital.example"),
            account_homepage=pl.lit(None, pl.Utf8),
            account_name=pl.lit(None, pl.Utf8),
            actor_key=pl.col("person_key"),
        )
        _write(con, "identity_map", idm)
    return Fixture(
        path,
        depts,
        comps,
        no_census,
        tiny,
        *(
            fx[k]
            for k in ("priority", "declining", "low", "update")  # type: ignore[arg-type]
        ),
        activity_ids(comps),
        comps[-1],
    )


def _extras(
    rng: np.random.Generator,
    staff: pl.DataFrame,
    comps: list[str],
    months: list[dt.date],
    depts: list[str],
    no_census: str,
) -> dict[str, pl.DataFrame]:
    protocol = pl.DataFrame(
        {
            "competency_id": [comps[3]],
            "change_date": [AS_OF - dt.timedelta(days=40)],
            "new_version": ["v2"],
            "invalidates_prior": [True],
            "retrain_due_days": [60],
            "carryover": [0.8],
        }
    )
    tasks = pl.DataFrame(
        {
            "task_id": ["T1", "T2"],
            "name": ["Administer chemotherapy", "Restraint"],
            "competency_ids": [[comps[0], comps[1]], [comps[2]]],
        }
    )
    cleared = []
    for as_of in (AS_OF - dt.timedelta(days=31), AS_OF):
        for t in ("T1", "T2"):
            for pk in staff["person_key"].to_list():
                ok = bool(rng.random() < 0.8)
                cleared.append((as_of, t, pk, ok, [f"st-{pk}-{t}-1"] if ok else []))
    cl = pl.DataFrame(
        cleared,
        orient="row",
        schema={
            "as_of": pl.Date,
            "task_id": pl.Utf8,
            "person_key": pl.Utf8,
            "cleared": pl.Boolean,
            "evidence_ids": pl.List(pl.Utf8),
        },
    )
    census, rates = _safety(rng, depts, months, no_census)
    linkage = pl.DataFrame(
        {
            "category": ["fall", "fall", "medication", "pressure_ulcer", "other"],
            "competency_id": [comps[0], comps[0], comps[2], comps[1], comps[3]],
            "gap_kind": ["compliance", "readiness", "compliance", "compliance", "compliance"],
            "is_primary": [True, False, True, True, False],
            "estimable": [True, True, True, False, True],
            "reason": [None, None, None, "Only 3 events in 120 department-months.", None],
            "irr": [1.18, 1.09, 1.04, None, 0.98],
            "irr_lo": [1.02, 0.95, 0.9, None, 0.8],
            "irr_hi": [1.37, 1.25, 1.2, None, 1.2],
            "p_value": [0.03, 0.2, 0.6, None, 0.85],
            "q_value": [0.09, 0.3, 0.7, None, 0.85],
            "e_value": [1.64, 1.4, 1.2, None, 1.1],
            "n_dept_months": [120, 120, 120, 120, 120],
            "n_events": [60, 60, 45, 3, 40],
            "negative_control": [False, False, False, False, True],
            # i14link also keeps the older names as aliases, and a few extras
            "irr_per_10pp": [1.18, 1.09, 1.04, None, 0.98],
            "ci_low": [1.02, 0.95, 0.9, None, 0.8],
            "ci_high": [1.37, 1.25, 1.2, None, 1.2],
            "n_obs": [120, 120, 120, 120, 120],
            "message": [None, None, None, "Only 3 events in 120 department-months.", None],
            "outcome": ["harm", "harm", "harm", "harm", "harm"],
            "lag_months": [2, 2, 1, 1, 1],
            "method": ["negative binomial"] * 5,
            "label": ["Falls", "Falls", "Medication", "Pressure ulcers", "Other"],
        }
    )
    aq, iq = _content(rng, comps)
    return {
        "protocol_changes": protocol,
        "regulated_tasks": tasks,
        "cleared": cl,
        "census": census,
        "incident_rates": rates,
        "linkage": linkage,
        "activity_quality": aq,
        "item_quality": iq,
        "model_warnings": pl.DataFrame(
            {
                "code": ["crosswalk_missing_default_used"],
                "severity": ["warning"],
                "message": ["Incident category 'other' has no crosswalk; the default was used."],
                "detail": ["category=other"],
            }
        ),
    }


def _department_readiness(dcm: pl.DataFrame) -> pl.DataFrame:
    """Department readiness with its weakest competency, picked by the readiness shown."""
    last = dcm.filter(pl.col("month") == pl.col("month").max())
    est = last.filter(pl.col("readiness").is_not_null())
    weakest = est.sort("readiness").group_by("department_id", maintain_order=True).first()
    agg = last.group_by("department_id", "month").agg(
        readiness=(pl.col("readiness") * pl.col("n_required")).sum()
        / pl.col("n_required").filter(pl.col("readiness").is_not_null()).sum(),
    )
    out = agg.join(
        weakest.select(
            "department_id",
            weakest_competency_id="competency_id",
            weakest_readiness="readiness",
            weakest_readiness_lo="readiness_lo",
            weakest_readiness_hi="readiness_hi",
        ),
        on="department_id",
        how="left",
    )
    return out.with_columns(
        readiness_lo=pl.col("readiness") - 0.04, readiness_hi=pl.col("readiness") + 0.04
    ).sort("department_id")


def _person_contract(pcs: pl.DataFrame, cert_only: str) -> pl.DataFrame:
    """Readiness interval and state per person (cert-only competency: NULL readiness)."""
    cert = pl.col("competency_id") == cert_only
    return pcs.with_columns(
        readiness=pl.when(cert).then(None).otherwise(pl.col("readiness")),
        readiness_lo=pl.when(cert).then(None).otherwise((pl.col("readiness") - 0.1).clip(0, 1)),
        readiness_hi=pl.when(cert).then(None).otherwise((pl.col("readiness") + 0.1).clip(0, 1)),
        readiness_state=pl.when(cert)
        .then(pl.lit("no_assessment_evidence"))
        .otherwise(pl.lit("estimated")),
    )


LEGACY_DROPS = {
    "person_competency_status": ["readiness_lo", "readiness_hi", "readiness_state"],
    "dept_competency_month": ["readiness_state"],
    "incident_rates": ["harm_suppressed", "near_miss_suppressed"],
    "flags": ["low_limit"],
}


def _legacy(tables: dict[str, pl.DataFrame]) -> None:
    """The shape of a warehouse written before the issue-14 contract (older columns/tables)."""
    for name, cols in LEGACY_DROPS.items():
        tables[name] = tables[name].drop(cols)
    for name in ("model_warnings", "department_readiness"):
        tables.pop(name)
    link = tables["linkage"]
    tables["linkage"] = pl.DataFrame(
        {
            "competency_id": link["competency_id"][:2],
            "category": ["fall", "medication"],
            "lag_months": [2, 1],
            "irr_per_10pp": [2.1e31, 1.04],
            "ci_low": [0.0, 0.9],
            "ci_high": [float("inf"), 1.2],
            "p_value": [0.99, 0.6],
            "n_obs": [120, 120],
            "method": ["negative binomial, patient-day offset, dept + month effects"] * 2,
            "estimable": [True, True],
            "message": ["", ""],
        }
    )
    flags = tables["flags"]
    tables["flags"] = flags.with_columns(
        pl.col("explanation").str.replace(r', "reason": "[^"]*"', "")
    )
