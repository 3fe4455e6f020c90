"""The month's flow (renewals due, lapses) and the lapse split behind the flag decomposition."""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.monthly import flow_counts, status_counts

END0, END1 = date(2024, 5, 31), date(2024, 6, 30)


def _status(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    """(person, status, expires_on) in department D, competency c."""
    return pl.DataFrame(
        {
            "person_key": [r[0] for r in rows],
            "competency_id": ["c"] * len(rows),
            "department_id": ["D"] * len(rows),
            "status": [r[1] for r in rows],
            "expires_on": [date.fromisoformat(r[2]) if r[2] else None for r in rows],
        }
    )


def test_flow_counts_renewals_due_and_lapses() -> None:
    prev = _status(
        [
            ("renewed", "expiring_30", "2024-06-10"),
            ("lapsed", "expiring_30", "2024-06-20"),
            ("grace", "expiring_30", "2024-06-30"),
            ("not_due", "compliant", "2024-12-01"),
            ("retrain", "expiring_30", "2024-06-15"),
            ("left", "expiring_30", "2024-06-15"),
            ("already_out", "expired", "2024-04-01"),
            ("new", "onboarding", None),
        ]
    )
    cur = _status(
        [
            ("renewed", "compliant", "2025-06-10"),
            ("lapsed", "expired", "2024-06-20"),
            ("grace", "in_grace", "2024-06-30"),
            ("not_due", "expiring_30", "2024-12-01"),
            ("retrain", "update_due", None),
            ("already_out", "expired", "2024-04-01"),
            ("new", "overdue", None),
        ]
    )
    out = flow_counts(prev, cur, END1).row(0, named=True)
    # due: renewed, lapsed, grace (retrain is a protocol update, left is gone, new onboarding)
    assert (out["n_due"], out["n_lapsed"]) == (3, 2)


def test_status_counts_split_failed_from_never_passed() -> None:
    cur = _status(
        [
            ("a", "overdue", None),
            ("b", "overdue", None),
            ("c", "expired", "2024-01-01"),
            ("d", "in_grace", "2024-06-20"),
            ("e", "onboarding", None),
            ("f", "compliant", "2025-01-01"),
        ]
    )
    failed = pl.DataFrame({"person_key": ["b", "d", "f"], "competency_id": ["c", "c", "c"]})
    row = status_counts(cur, failed).row(0, named=True)
    assert row["n_overdue"] == 1  # a: never passed, no failed attempt
    assert row["n_failed"] == 2  # b (overdue after failing), d (lapsed after failing)
    assert row["n_expired"] == 1  # c
    assert row["n_onboarding"] == 1
