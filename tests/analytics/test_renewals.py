"""Renewal dues: each expiry of an established person's evidence and what became of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from analytics.models.evidence import EVIDENCE_SCHEMA
from analytics.renewals import renewal_dues

AS_OF = date(2025, 6, 30)
REQ = pl.DataFrame(
    {
        "role_code": ["RN"],
        "competency_id": ["C1"],
        "recert_interval_days": [100],
        "initial_due_days": [30],
        "grace_days": [0],
        "evidence_rule": ["passed"],
    }
)
NO_CERTS = pl.DataFrame(
    schema={
        "person_key": pl.Utf8,
        "competency_id": pl.Utf8,
        "issued": pl.Date,
        "expires": pl.Date,
    }
)
NO_CHANGES = pl.DataFrame(
    schema={"competency_id": pl.Utf8, "change_date": pl.Date, "invalidates_prior": pl.Boolean}
)


def _staff(end: date | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "person_key": ["p"],
            "department_id": ["D1"],
            "role_code": ["RN"],
            "hire_date": [date(2020, 1, 1)],
            "end_date": [end],
        },
        schema_overrides={"end_date": pl.Date},
    )


def _passes(*days: date, kind: str = "passed") -> pl.DataFrame:
    rows = [
        {
            "person_key": "p",
            "competency_id": "C1",
            "statement_id": f"s{i}",
            "kind": kind,
            "at": datetime(d.year, d.month, d.day, 9, tzinfo=UTC),
        }
        for i, d in enumerate(days)
    ]
    return (
        pl.DataFrame(rows)
        .with_columns([pl.lit(None).alias(c) for c in EVIDENCE_SCHEMA if c not in rows[0]])
        .select(list(EVIDENCE_SCHEMA))
        .cast(EVIDENCE_SCHEMA)
    )


def _dues(ev: pl.DataFrame, *, end: date | None = None, changes: pl.DataFrame = NO_CHANGES):
    out = renewal_dues(_staff(end), REQ, ev, NO_CERTS, changes, AS_OF)
    return [(r["due"], r["renewed"], r["censored"]) for r in out.iter_rows(named=True)]


def test_renewals_early_late_and_open() -> None:
    """A pass on Jan 1 is due Apr 11: renewed 10 days early, or 10 days late; the renewal's
    own due (after as-of) is not a due yet."""
    ev = _passes(date(2025, 1, 1), date(2025, 4, 1))
    assert _dues(ev) == [(date(2025, 4, 11), date(2025, 4, 1), None)]
    late = _passes(date(2025, 1, 1), date(2025, 4, 21))
    assert _dues(late) == [(date(2025, 4, 11), date(2025, 4, 21), None)]


def test_an_open_due_has_no_renewal() -> None:
    ev = _passes(date(2025, 1, 1))
    assert _dues(ev) == [(date(2025, 4, 11), None, None)]


def test_evidence_long_before_the_due_only_extends_it() -> None:
    """A duplicate record two days after a pass is not a renewal (it is > 90 days early)."""
    ev = _passes(date(2025, 1, 1), date(2025, 1, 3))
    assert _dues(ev) == [(date(2025, 4, 13), None, None)]


def test_the_first_pass_of_a_chain_is_not_a_due() -> None:
    """A new hire's first pass answers the initial due, which is not a renewal due."""
    assert _dues(_passes(date(2025, 5, 1))) == []


def test_a_leaver_is_censored_and_a_due_after_leaving_is_dropped() -> None:
    ev = _passes(date(2025, 1, 1))
    assert _dues(ev, end=date(2025, 5, 1)) == [(date(2025, 4, 11), None, date(2025, 5, 1))]
    assert _dues(ev, end=date(2025, 3, 1)) == []


def test_a_protocol_change_cuts_the_due_and_restarts_the_chain() -> None:
    """A change on Feb 1 invalidates the Jan 1 pass: its due is not a renewal due, and the
    retraining pass of Feb 10 starts a new chain (due May 21, open)."""
    changes = pl.DataFrame(
        {"competency_id": ["C1"], "change_date": [date(2025, 2, 1)], "invalidates_prior": [True]}
    )
    ev = _passes(date(2025, 1, 1), date(2025, 2, 10))
    assert _dues(ev, changes=changes) == [(date(2025, 5, 21), None, None)]
