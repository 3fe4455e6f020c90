"""The flag's plain-words reason never shows a p-value rounded to zero."""

from __future__ import annotations

from analytics.flag_text import reason


def _facts(p: float) -> dict[str, object]:
    return {
        "flag": "DECLINING",
        "department_id": "D1",
        "competency_id": "C1",
        "run_months": 3,
        "excess_lapsed": 4,
        "lapse_baseline": 0.1,
        "p_value": p,
        "q_value": 0.02,
        "n_onboarding": 0,
    }


def test_tiny_p_reads_below_a_bound_not_zero() -> None:
    text = reason(_facts(1e-7))
    assert "p < 0.0001" in text and "0.0000" not in text


def test_ordinary_p_keeps_four_places() -> None:
    assert "p = 0.0123" in reason(_facts(0.0123))
