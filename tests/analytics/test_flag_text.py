"""The flag's plain-words reason: what is open, what was expected, and the evidence."""

from __future__ import annotations

from analytics.flags.text import reason


def _facts(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "flag": "DECLINING",
        "department_id": "D1",
        "competency_id": "C1",
        "since": "2025-03-01",
        "dues_since": 9,
        "open_since": 7,
        "expected_open": 2.2,
        "log_e": 9.43,
        "log_e_threshold": 7.09,
        "pi": 0.75,
        "n_onboarding": 0,
    }
    return {**base, **kw}


def test_declining_says_how_many_renewals_are_open_against_expected() -> None:
    text = reason(_facts())
    assert text.startswith("D1 / C1: 7 of 9 C1 renewals due since 2025-03 are still open")
    assert "about 2 would be expected" in text
    assert "log e = 9.4 against an alarm level of 7.1" in text and "75%" in text


def test_low_names_the_six_month_rate_and_its_limit() -> None:
    facts = _facts(
        flag="LOW",
        current=0.7,
        n_compliant=21,
        n=30,
        low_rate=0.72,
        low_limit=0.8,
        peer_rate=0.94,
    )
    text = reason(facts)
    assert "over the last 6 months it averaged 72%, below the lower limit of 80%" in text
