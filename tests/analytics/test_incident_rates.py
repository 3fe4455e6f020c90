"""Near-miss reporting is a culture signal: it never colours a department red (ANALYTICS.md §8)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analytics.incident_models import incident_rates

MONTHS = [date(2024, m, 1) for m in range(1, 13)]
DEPTS = [f"D{i:02d}" for i in range(1, 9)]


def _hospital(near_misses: int, harm: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Eight departments, 1 harm event a month each; D01 gets ``near_misses`` and ``harm``."""
    rows = []
    for dept in DEPTS:
        for month in MONTHS:
            events = [("incident", "moderate")] * (harm if dept == "D01" else 1)
            events += [("near_miss", None)] * (near_misses if dept == "D01" else 3)
            rows += [
                {
                    "department_id": dept,
                    "discovered_date": month.replace(day=10),
                    "event_type": kind,
                    "harm_level": level,
                }
                for kind, level in events
            ]
    census = pl.DataFrame(
        [{"department_id": d, "month": m, "patient_days": 700.0} for d in DEPTS for m in MONTHS],
        schema_overrides={"month": pl.Date},
    )
    return pl.DataFrame(rows, schema_overrides={"discovered_date": pl.Date}), census


def test_ten_times_the_near_misses_never_colours_red() -> None:
    rates = incident_rates(*_hospital(near_misses=30, harm=1))
    d01 = rates.filter(pl.col("department_id") == "D01")
    assert d01["near_miss_rate_per_1000"].min() > 40
    assert not rates["harm_high"].any()


def test_more_harm_does_colour_red() -> None:
    rates = incident_rates(*_hospital(near_misses=3, harm=8))
    assert rates.filter(pl.col("department_id") == "D01")["harm_high"].all()
    assert not rates.filter(pl.col("department_id") != "D01")["harm_high"].any()


def test_each_figure_is_suppressed_on_its_own_count() -> None:
    """Old behaviour: a row was suppressed when either count was < 11 (all 360 demo rows)."""
    rates = incident_rates(*_hospital(near_misses=30, harm=12))
    d01 = rates.filter(pl.col("department_id") == "D01")
    assert not d01["harm_suppressed"].any() and not d01["suppressed"].any()
    assert not d01["near_miss_suppressed"].any()
    others = rates.filter(pl.col("department_id") != "D01")
    assert others["harm_suppressed"].all() and others["near_miss_suppressed"].all()
    small_near_miss = incident_rates(*_hospital(near_misses=3, harm=12))
    d01 = small_near_miss.filter(pl.col("department_id") == "D01")
    assert d01["near_miss_suppressed"].all() and not d01["suppressed"].any()


def test_harm_high_is_standardised_by_unit_type() -> None:
    """Two ICUs at 12 harm events a month among wards at 1: an ICU is compared with ICUs."""
    incidents, census = _hospital(near_misses=3, harm=1)
    extra = [
        {
            "department_id": d,
            "discovered_date": m.replace(day=12),
            "event_type": "incident",
            "harm_level": "severe",
        }
        for d in ("D07", "D08")
        for m in MONTHS
        for _ in range(11)
    ]
    incidents = pl.concat([incidents, pl.DataFrame(extra, schema=incidents.schema)])
    departments = pl.DataFrame(
        {"department_id": DEPTS, "unit_type": ["med_surg"] * 6 + ["icu"] * 2}
    )
    assert incident_rates(incidents, census)["harm_high"].sum() > 0  # against the whole hospital
    rates = incident_rates(incidents, census, departments)
    assert not rates["harm_high"].any()
    icu = rates.filter(pl.col("department_id") == "D07")
    assert icu["harm_expected"].to_list() == pytest.approx([12.0] * 12)
    assert icu["harm_limit_998"].min() >= 12
