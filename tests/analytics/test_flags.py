"""The DECLINING rule on hand-built department x competency series (ANALYTICS.md §7).

A decline needs a statistical signal (EWMA or Mann-Kendall/BH) *and* a material lapse: at
least ``min_excess`` more established staff out of compliance than the baseline rate predicts.
New hires still onboarding are not a decline of the unit's readiness.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest

from analytics.flags import FlagSettings, compute_flags, excess_lapsed

MONTHS = [date(2024, m, 1) for m in range(1, 13)]
LAST = MONTHS[-1]


def _cell(
    dept: str, out: list[int], *, onboarding: bool = False, n: int = 20
) -> list[dict[str, Any]]:
    """Twelve months of one cell with ``out[i]`` staff not compliant in month i."""
    rows = []
    for month, k in zip(MONTHS, out, strict=True):
        rows.append(
            {
                "department_id": dept,
                "competency_id": "sepsis",
                "month": month,
                "n_required": n,
                "n_compliant": n - k,
                "compliance_rate": (n - k) / n,
                "readiness": 0.8,
                "n_expired": 0 if onboarding else k,
                "n_update_due": 0,
                "n_onboarding": k if onboarding else 0,
                "n_overdue": 0,
                "persons": [f"p{i}" for i in range(n)],
            }
        )
    return rows


STEADY = [0] * 12
LAPSING = [0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 5, 6]


def _flags(*cells: list[dict[str, Any]], **settings: Any) -> dict[str, dict[str, Any]]:
    series = pl.DataFrame([r for c in cells for r in c], schema_overrides={"month": pl.Date})
    competencies = pl.DataFrame({"competency_id": ["sepsis"], "criticality": [2]})
    changes = pl.DataFrame(
        schema={
            "competency_id": pl.Utf8,
            "change_date": pl.Date,
            "invalidates_prior": pl.Boolean,
        }
    )
    out = compute_flags(series, competencies, changes, FlagSettings(**settings), months=[LAST])
    return {r["department_id"]: r for r in out.iter_rows(named=True)}


def _steady_peers() -> list[list[dict[str, Any]]]:
    return [_cell(f"P{i}", STEADY) for i in range(6)]


def test_established_staff_lapsing_is_declining() -> None:
    flags = _flags(_cell("D1", LAPSING), *_steady_peers())
    row = flags["D1"]
    assert row["flag"] in ("DECLINING", "PRIORITY")  # PRIORITY when also LOW in the funnel
    assert "ewma" in row["method"]
    assert json.loads(row["explanation"])["excess_lapsed"] == 6
    assert all(flags[f"P{i}"]["flag"] == "OK" for i in range(6))


def test_a_hiring_wave_is_not_a_decline() -> None:
    """The same drop made of new hires still onboarding: shown, but not DECLINING."""
    row = _flags(_cell("D1", LAPSING, onboarding=True), *_steady_peers())["D1"]
    assert row["flag"] not in ("DECLINING", "PRIORITY")
    explanation = json.loads(row["explanation"])
    assert explanation["decomposition"]["new_hires_onboarding"] == 6
    assert explanation["excess_lapsed"] == 0


def test_two_late_renewals_do_not_page_anyone() -> None:
    small = [0] * 8 + [2] * 4
    row = _flags(_cell("D1", small), *_steady_peers())["D1"]
    assert row["flag"] not in ("DECLINING", "PRIORITY")
    assert json.loads(row["explanation"])["excess_lapsed"] == 2
    # the same cell is a decline when the unit asks for a smaller margin
    row = _flags(_cell("D1", small), *_steady_peers(), min_excess=2)["D1"]
    assert row["flag"] in ("DECLINING", "PRIORITY")


def test_a_lapse_already_in_the_baseline_is_not_a_new_decline() -> None:
    """Five staff out of compliance all year: no excess over the baseline, no DECLINING."""
    row = _flags(_cell("D1", [5] * 12), *_steady_peers())["D1"]
    assert row["flag"] not in ("DECLINING", "PRIORITY")
    assert json.loads(row["explanation"])["excess_lapsed"] <= 0


@pytest.mark.parametrize(
    ("cur", "baseline", "expected"),
    [
        ({"n_required": 20, "n_compliant": 14, "n_onboarding": 0}, 1.0, 6),
        ({"n_required": 20, "n_compliant": 14, "n_onboarding": 4}, 1.0, 2),
        ({"n_required": 20, "n_compliant": 14, "n_onboarding": 0}, 0.9, 4),
        ({"n_required": 20, "n_compliant": 20, "n_onboarding": None}, 0.95, -1),
    ],
)
def test_excess_lapsed(cur: dict[str, Any], baseline: float, expected: int) -> None:
    assert excess_lapsed(cur, baseline) == expected


def test_settings_reject_a_meaningless_false_alarm_rate() -> None:
    with pytest.raises(ValueError):
        FlagSettings(ewma_false_alarm=0.0)
    with pytest.raises(ValueError):
        FlagSettings(min_excess=-1)
