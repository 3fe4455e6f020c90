"""Near-miss reporting is a culture signal: it never colours a department red (ANALYTICS.md §8)."""

from __future__ import annotations

from datetime import date

import polars as pl

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
