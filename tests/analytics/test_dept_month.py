"""``dept_competency_month`` when a competency-month has nobody established yet.

Early in a history (or in a small hospital) every required person of a competency can still be
onboarding; the models used to crash there ("need at least one unit with n > 0") instead of
reporting the month with no shrunken rate.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.run_models import _dept_month


def _series(n_established: list[int]) -> pl.DataFrame:
    rows = len(n_established)
    return pl.DataFrame(
        {
            "department_id": [f"D{i}" for i in range(rows)],
            "competency_id": ["c1"] * rows,
            "month": [date(2025, 4, 1)] * rows,
            "month_end": [date(2025, 4, 30)] * rows,
            "persons": [0] * rows,
            "n_compliant": [0] * rows,
            "n_established": n_established,
        }
    )


def test_a_month_with_nobody_established_has_no_shrunken_rate() -> None:
    out = _dept_month(_series([0, 0]), pl.DataFrame())
    assert out.height == 2
    assert out["compliance_shrunk"].null_count() == 2
    assert out["compliance_lo"].null_count() == 2 and out["compliance_hi"].null_count() == 2


def test_established_units_are_still_shrunk() -> None:
    out = _dept_month(_series([10, 0]).with_columns(n_compliant=pl.Series([8, 0])), pl.DataFrame())
    est = dict(zip(out["department_id"], out["compliance_shrunk"], strict=True))
    assert 0.5 < est["D0"] < 1.0
