"""The flag rules on hand-built department x competency series (ANALYTICS.md §7).

DECLINING is the renewal-timing e-detector on hand-built renewal dues (in control: renewed 10
days early, every fifth 20 days late) against the competency's pooled in-control law from
before the window, with a materiality that scales with the unit; LOW compares the
established-staff rate of the last six months with an over-dispersed funnel; onboarding staff
are counted apart.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from analytics.flags.compute import FlagSettings, changes_in, compute_flags, month_end
from analytics.renewals import DUES_SCHEMA

MONTHS = [date(2024, m, 1) for m in range(1, 13)] + [date(2025, m, 1) for m in range(1, 7)]
LAST = MONTHS[-1]
T = len(MONTHS)
EMPTY_CHANGES = pl.DataFrame(
    schema={"competency_id": pl.Utf8, "change_date": pl.Date, "invalidates_prior": pl.Boolean}
)


def _cell(
    dept: str,
    *,
    n: int = 24,
    due: list[int] | None = None,
    lapsed: list[int] | None = None,
    out: list[int] | None = None,
    onboarding: list[int] | None = None,
    overdue: list[int] | None = None,
    update_due: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Eighteen months of one cell: ``n`` established staff, ``due[i]`` renewals due in month i
    (default n / 12), ``lapsed[i]`` of them lapsed, ``out[i]`` established staff not compliant
    (default: the lapses so far), ``onboarding[i]`` new hires on top."""
    due = due or [0] + [n // 12] * (T - 1)
    lapsed = lapsed or [0] * T
    out = out or [min(n, sum(lapsed[: i + 1])) for i in range(T)]
    onboarding = onboarding or [0] * T
    overdue = overdue or [0] * T
    update_due = update_due or [0] * T
    rows = []
    for i, month in enumerate(MONTHS):
        rows.append(
            {
                "department_id": dept,
                "competency_id": "sepsis",
                "month": month,
                "n_required": n + onboarding[i],
                "n_established": n,
                "n_compliant": n - out[i],
                "compliance_rate": (n - out[i]) / n,
                "n_expired": out[i] - overdue[i] - update_due[i],
                "n_failed": 0,
                "n_update_due": update_due[i],
                "n_onboarding": onboarding[i],
                "n_overdue": overdue[i],
                "n_due": due[i],
                "n_lapsed": lapsed[i],
                "persons": [f"{dept}-p{k}" for k in range(n + onboarding[i])],
            }
        )
    return rows


def _peers(k: int = 8) -> list[list[dict[str, Any]]]:
    return [
        _cell(f"P{i}", lapsed=[0] * (3 + i % 5) + [1] + [0] * (T - 4 - i % 5)) for i in range(k)
    ]


def dues(
    dept: str,
    *,
    n: int = 24,
    missed_from: date | None = None,
    missed: int | None = None,
    cohort: int | None = None,
) -> list[dict[str, Any]]:
    """Renewal dues of ``n`` staff over the eighteen months: person k is due on the 15th of
    month k % 12 (or of month ``cohort`` for everyone); renewed 10 days early, every fifth due
    20 days late; from ``missed_from`` on (the first ``missed`` of) the dues are never renewed."""
    rows, skipped = [], 0
    for k in range(n):
        for month in MONTHS:
            if month.month != (cohort or k % 12 + 1):
                continue
            due = month.replace(day=15)
            late = (k + month.month) % 5 == 0
            renewed: date | None = due + timedelta(days=20 if late else -10)
            if missed_from and due >= missed_from and (missed is None or skipped < missed):
                renewed, skipped = None, skipped + 1
            if renewed and renewed > month_end(LAST):
                renewed = None
            rows.append(
                {
                    "department_id": dept,
                    "competency_id": "sepsis",
                    "due": due,
                    "renewed": renewed,
                    "person_key": f"{dept}-p{k}",
                    "censored": None,
                }
            )
    return rows


def _flags(
    *cells: list[dict[str, Any]],
    changes: pl.DataFrame = EMPTY_CHANGES,
    month: date = LAST,
    renewals: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> dict[str, dict[str, Any]]:
    series = pl.DataFrame([r for c in cells for r in c], schema_overrides={"month": pl.Date})
    competencies = pl.DataFrame({"competency_id": ["sepsis"], "criticality": [2]})
    depts = sorted({c[0]["department_id"] for c in cells})
    given = {r["department_id"] for r in renewals or []}
    rows = (renewals or []) + [r for d in depts if d not in given for r in dues(d)]
    frame = pl.DataFrame(rows, schema=DUES_SCHEMA)
    out = compute_flags(
        series, competencies, changes, FlagSettings(**settings), months=[month], dues=frame
    )
    return {r["department_id"]: r for r in out.iter_rows(named=True)}


# a 24-person unit: every renewal due from month 9 (2024-09) on is missed
MISSING = dues("D1", missed_from=MONTHS[8])
LAPSING = [0] * 8 + [2] * 10


def test_established_staff_missing_renewals_is_declining_and_peers_are_ok() -> None:
    flags = _flags(_cell("D1", lapsed=LAPSING), *_peers(), renewals=MISSING)
    row = flags["D1"]
    assert row["flag"] in ("DECLINING", "PRIORITY")
    assert row["method"].startswith("renewal_e_detector")
    facts = json.loads(row["explanation"])
    assert facts["open_since"] >= 10 and facts["excess_lapsed"] >= 8
    assert facts["log_e"] >= facts["log_e_threshold"] == pytest.approx(7.09, abs=0.01)
    assert row["cusum"] == facts["log_e"] and row["p_value"] < 1 / 1200
    assert (
        f"{facts['open_since']} of {facts['dues_since']} sepsis renewals due since"
        in (facts["reason"])
    )
    assert all(flags[f"P{i}"]["flag"] == "OK" for i in range(8))


def test_the_baseline_does_not_follow_a_long_decline_down() -> None:
    """Still DECLINING ten months into the decline: S0 comes from dues before the window."""
    row = _flags(_cell("D1", lapsed=LAPSING), *_peers(), renewals=MISSING)["D1"]
    assert row["flag"] in ("DECLINING", "PRIORITY")
    assert json.loads(row["explanation"])["expected_open"] < 2
    assert row["baseline"] == 1.0  # Phase I compliance, not the window's first months


def test_the_alarm_level_comes_from_the_setting() -> None:
    """The same evidence does not reach an alarm level it is below (c = e^100)."""
    row = _flags(_cell("D1"), *_peers(), renewals=MISSING, alarm_e=float(np.exp(100)))["D1"]
    assert row["flag"] == "OK"
    assert 7.1 < json.loads(row["explanation"])["log_e"] < 100


def test_without_enough_earlier_dues_there_is_no_decline_test() -> None:
    row = _flags(_cell("D1"), *_peers(), renewals=MISSING, min_phase1=10_000)["D1"]
    assert row["flag"] == "OK"
    assert json.loads(row["explanation"])["decline_tested"] is False


def test_a_hiring_wave_is_not_a_decline_and_does_not_pull_the_rate_down() -> None:
    wave = [0] * 10 + [12] * 8
    row = _flags(_cell("D1", onboarding=wave), *_peers())["D1"]
    assert row["flag"] == "OK"
    assert row["current"] == 1.0 and row["n"] == 24 and row["n_onboarding"] == 12
    facts = json.loads(row["explanation"])
    assert facts["n_onboarding"] == 12 and "12 new hires still onboarding" in facts["reason"]


def test_the_evidence_scales_with_unit_size() -> None:
    """Four missed renewals are strong evidence in a 24-person unit (about 2 due a month) and
    none in a 200-person one, where they are 4 of about 100 dues since January."""
    small = dues("D1", missed_from=MONTHS[12], missed=4)
    row = _flags(_cell("D1"), *_peers(), renewals=small)["D1"]
    assert row["flag"] in ("DECLINING", "PRIORITY")
    big = dues("D1", n=200, missed_from=MONTHS[12], missed=4)
    row = _flags(_cell("D1", n=200), *_peers(), renewals=big)["D1"]
    assert row["flag"] == "OK"
    assert json.loads(row["explanation"])["log_e"] < 7


def test_materiality_scales_with_unit_size() -> None:
    """Four missed renewals (about 4 excess open dues) in a 24-person unit: DECLINING at the
    default 10 % share (2.4 needed), not when the share asks for 20 % (4.8)."""
    four = dues("D1", missed_from=MONTHS[12], missed=4)
    row = _flags(_cell("D1"), *_peers(), renewals=four)["D1"]
    facts = json.loads(row["explanation"])
    assert row["flag"] in ("DECLINING", "PRIORITY") and 3 < facts["excess_lapsed"] < 4.8
    row = _flags(_cell("D1"), *_peers(), renewals=four, min_excess_share=0.2)["D1"]
    assert row["flag"] == "OK"


def test_late_renewals_at_the_usual_pace_are_not_a_decline() -> None:
    """Every fifth renewal 20 days late, as before the window: in control."""
    flags = _flags(_cell("D1", out=[2] * T), *_peers())
    assert flags["D1"]["flag"] == "OK"
    assert json.loads(flags["D1"]["explanation"])["log_e"] < 2


def test_a_seasonal_cohort_renewing_together_is_not_a_decline() -> None:
    """All 24 due in March, renewed at the usual pace: in control."""
    row = _flags(_cell("D1"), *_peers(), renewals=dues("D1", cohort=3))["D1"]
    assert row["flag"] == "OK"


def test_low_uses_the_raw_rate_against_an_overdispersed_funnel() -> None:
    """A stable unit at 71 % among peers near 97 % is LOW (raw rate), and not DECLINING."""
    stable = _cell("D1", out=[7] * T)
    row = _flags(stable, *_peers())["D1"]
    assert row["flag"] == "LOW" and row["method"] == "funnel_random_effects_6m"
    facts = json.loads(row["explanation"])
    assert facts["low_rate"] < facts["low_limit"] < facts["peer_rate"]
    assert "below the lower limit" in facts["reason"]


def test_low_reads_six_months_so_one_bad_month_is_not_low() -> None:
    """A unit at 71 % in its last month only (100 % before) is not LOW; six such months are."""
    one = _cell("D1", out=[0] * (T - 1) + [7])
    assert _flags(one, *_peers())["D1"]["flag"] == "OK"
    six = _cell("D1", out=[0] * (T - 6) + [7] * 6)
    assert _flags(six, *_peers())["D1"]["flag"] == "LOW"


def test_too_few_established_staff_is_insufficient_data() -> None:
    row = _flags(_cell("D1", n=4), *_peers())["D1"]
    assert row["flag"] == "INSUFFICIENT_DATA"
    assert "too few established staff" in json.loads(row["explanation"])["reason"]


@pytest.mark.parametrize("day", [1, 28, 29, 30])
def test_a_protocol_change_on_any_day_explains_its_own_month(day: int) -> None:
    """Regression: a change dated on the 29th-31st was invisible to its own month."""
    month = date(2025, 4, 1)
    changes = pl.DataFrame(
        {
            "competency_id": ["sepsis"],
            "change_date": [month.replace(day=day)],
            "invalidates_prior": [True],
        }
    )
    update = [0] * 15 + [24, 0, 0]
    row = _flags(_cell("D1", update_due=update, out=update), changes=changes, month=month)["D1"]
    assert row["flag"] == "UPDATE_IN_PROGRESS"
    assert "protocol change on" in json.loads(row["explanation"])["reason"]


def test_changes_in_includes_month_end_and_window_start() -> None:
    changes = pl.DataFrame(
        {
            "competency_id": ["a", "b", "c"],
            "change_date": [date(2025, 1, 31), date(2024, 2, 1), date(2025, 2, 1)],
            "invalidates_prior": [True, True, True],
        }
    )
    assert changes_in(changes, date(2024, 2, 1), month_end(date(2025, 1, 1))) == {
        "a": date(2025, 1, 31),
        "b": date(2024, 2, 1),
    }
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)


def test_never_passed_overdue_staff_are_not_failed_assessments() -> None:
    """Regression: overdue staff who never passed were labelled ``failed_assessments``."""
    overdue = [0] * 12 + [5] * 6
    row = _flags(_cell("D1", overdue=overdue, out=overdue), *_peers())["D1"]
    parts = json.loads(row["explanation"])["decomposition"]
    assert parts["never_passed_overdue"] == 5
    assert parts["failed_assessments"] == 0


def test_every_flag_carries_a_reason_and_n_onboarding() -> None:
    flags = _flags(_cell("D1", lapsed=LAPSING), _cell("D2", n=3), *_peers())
    for row in flags.values():
        facts = json.loads(row["explanation"])
        assert facts["reason"].startswith(f"{row['department_id']} / sepsis: ")
        assert facts["n_onboarding"] == 0
        assert {"slope_pp_per_month", "slope_ci_pp", "decomposition"} <= facts.keys()


def test_settings_reject_meaningless_thresholds() -> None:
    with pytest.raises(ValueError):
        FlagSettings(alarm_e=1.0)
    with pytest.raises(ValueError):
        FlagSettings(s0_floor=0.0)
    with pytest.raises(ValueError):
        FlagSettings(min_excess=-1)
    with pytest.raises(ValueError):
        FlagSettings(min_excess_share=1.5)


def test_low_size_is_the_headcount_not_person_months() -> None:
    """3 of 24 short for six months among peers at 23 of 24: 6 x 24 person-months would call
    it LOW; a standing headcount of 24 is not 144 fresh samples, and it is not LOW."""
    row = _flags(_cell("D1", out=[3] * T), *_peers())["D1"]
    assert row["flag"] == "OK"


def test_low_unit_does_not_widen_its_own_limit() -> None:
    """Among four peers, the unit's own deficit would inflate the over-dispersion enough to
    hide it; judged against its peers only (leave-one-out) it is LOW."""
    row = _flags(_cell("D1", out=[7] * T), *_peers(4))["D1"]
    assert row["flag"] == "LOW"


def test_phase_one_gives_the_in_control_law_before_a_full_window() -> None:
    """Month 12 of the series: the 12-month window would reach back before the data; the
    series' first six months (Phase I) are the in-control law and the decline from month 9
    is judged (and is DECLINING three months in). A month inside Phase I is not tested."""
    flags = _flags(_cell("D1", lapsed=LAPSING), *_peers(), renewals=MISSING, month=MONTHS[11])
    facts = json.loads(flags["D1"]["explanation"])
    assert facts["decline_tested"] and flags["D1"]["flag"] in ("DECLINING", "PRIORITY")
    early = _flags(_cell("D1"), *_peers(), renewals=MISSING, month=MONTHS[5])["D1"]
    assert json.loads(early["explanation"])["decline_tested"] is False
