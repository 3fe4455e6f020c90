"""The flag rules on hand-built department x competency series (ANALYTICS.md §7).

DECLINING charts the monthly flow (renewals due, lapses among them) against a fixed baseline
with a materiality that scales with the unit; LOW compares the raw established-staff rate with
an over-dispersed funnel; onboarding staff are counted apart.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest

from analytics.flags import FlagSettings, changes_in, compute_flags, month_end

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


def _flags(
    *cells: list[dict[str, Any]],
    changes: pl.DataFrame = EMPTY_CHANGES,
    month: date = LAST,
    **settings: Any,
) -> dict[str, dict[str, Any]]:
    series = pl.DataFrame([r for c in cells for r in c], schema_overrides={"month": pl.Date})
    competencies = pl.DataFrame({"competency_id": ["sepsis"], "criticality": [2]})
    out = compute_flags(series, competencies, changes, FlagSettings(**settings), months=[month])
    return {r["department_id"]: r for r in out.iter_rows(named=True)}


# months 7-18 of a 24-person unit: 2 renewals due a month, both missed from month 9 on
LAPSING = [0] * 8 + [2] * 10


def test_established_staff_lapsing_is_declining_and_peers_are_ok() -> None:
    flags = _flags(_cell("D1", lapsed=LAPSING), *_peers())
    row = flags["D1"]
    assert row["flag"] in ("DECLINING", "PRIORITY")
    assert "lapse_cusum_bh" in row["method"]
    facts = json.loads(row["explanation"])
    assert facts["excess_lapsed"] >= 10 and facts["q_value"] < 0.05
    assert "renewals were missed" in facts["reason"]
    assert all(flags[f"P{i}"]["flag"] == "OK" for i in range(8))


def test_the_baseline_does_not_follow_a_long_decline_down() -> None:
    """Still DECLINING ten months into the decline: the baseline is fixed in Phase I."""
    row = _flags(_cell("D1", lapsed=LAPSING), *_peers())["D1"]
    assert json.loads(row["explanation"])["lapse_baseline"] < 0.1
    assert row["baseline"] == 1.0  # Phase I compliance, not the window's first months


def test_a_hiring_wave_is_not_a_decline_and_does_not_pull_the_rate_down() -> None:
    wave = [0] * 10 + [12] * 8
    row = _flags(_cell("D1", onboarding=wave), *_peers())["D1"]
    assert row["flag"] == "OK"
    assert row["current"] == 1.0 and row["n"] == 24 and row["n_onboarding"] == 12
    facts = json.loads(row["explanation"])
    assert facts["n_onboarding"] == 12 and "12 new hires still onboarding" in facts["reason"]


def test_materiality_scales_with_unit_size() -> None:
    """Four excess lapses page a 24-person unit but not a 200-person one (needs 20)."""
    four = [0] * 12 + [2, 2] + [0] * 4
    small = _flags(_cell("D1", lapsed=four), *_peers(), month=MONTHS[13])["D1"]
    assert small["flag"] in ("DECLINING", "PRIORITY")
    big_due = [0] + [16] * (T - 1)
    big = _flags(_cell("D1", n=200, due=big_due, lapsed=four), *_peers(), month=MONTHS[13])["D1"]
    assert big["flag"] == "OK"
    assert json.loads(big["explanation"])["excess_lapsed"] >= 3


def test_a_steady_lapse_rate_already_in_the_baseline_is_not_a_decline() -> None:
    steady = [0] + [1] * (T - 1)
    row = _flags(_cell("D1", lapsed=steady, out=[3] * T), *_peers())["D1"]
    assert row["flag"] not in ("DECLINING", "PRIORITY")


def test_a_seasonal_cohort_renewing_together_is_not_a_decline() -> None:
    """All 24 due in month 3 and again in month 15, one lapse each time: in control."""
    due = [0] * T
    due[2] = due[14] = 24
    lapsed = [0] * T
    lapsed[2] = lapsed[14] = 1
    row = _flags(_cell("D1", due=due, lapsed=lapsed, out=[1] * T), *_peers())["D1"]
    assert row["flag"] == "OK"


def test_low_uses_the_raw_rate_against_an_overdispersed_funnel() -> None:
    """A stable unit at 71 % among peers near 97 % is LOW (raw rate), and not DECLINING."""
    stable = _cell("D1", out=[7] * T)
    row = _flags(stable, *_peers())["D1"]
    assert row["flag"] == "LOW" and row["method"] == "funnel_random_effects"
    facts = json.loads(row["explanation"])
    assert facts["current"] < facts["low_limit"] < facts["peer_rate"]
    assert "below the lower limit" in facts["reason"]


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
        FlagSettings(odds_ratio=1.0)
    with pytest.raises(ValueError):
        FlagSettings(min_excess=-1)
    with pytest.raises(ValueError):
        FlagSettings(min_excess_share=1.5)
