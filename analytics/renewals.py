"""Renewal dues: each expiry of an established person's evidence and what became of it.

A *due* is the expiry date of the evidence a person holds for a required competency. It is
*renewed* by the first qualifying evidence dated no earlier than ``window_days`` before it
(earlier evidence only extends the expiry: a duplicate record, not a renewal), ``tau`` days
after the due date (negative: early). A due not renewed is *open*; a leaver's open due is
right-censored at the leaving date. Excluded, because they are not renewals of established
staff: a new hire's first (initial) due, which has no previous evidence and never appears
here, and any due whose evidence an invalidating protocol change cut short (a change dated
after the evidence and on or before its expiry: that is UPDATE_IN_PROGRESS); the first
evidence after such a change starts the person's chain afresh. Dues of people who left before
them are dropped. People are counted in the department the staff table lists.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from analytics.models.compliance import qualifying_evidence

if TYPE_CHECKING:
    from analytics.monthly import Inputs

PAIR = ["person_key", "competency_id"]
DUES_SCHEMA = pl.Schema(
    {
        "person_key": pl.Utf8(),
        "department_id": pl.Utf8(),
        "competency_id": pl.Utf8(),
        "due": pl.Date(),
        "renewed": pl.Date(),
        "censored": pl.Date(),
    }
)
#: evidence earlier than this many days before a due only extends it (the LRS's 90-day reminder)
WINDOW_DAYS = 90


def _evidence_days(
    evidence: pl.DataFrame, certifications: pl.DataFrame, terms: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """Per required pair: sorted evidence days and their expiry days (qualifying kinds only)."""
    q = qualifying_evidence(as_of, terms, evidence, certifications)
    q = q.group_by(*PAIR, "day").agg(pl.col("exp").max()).sort(*PAIR, "day")
    return q.group_by(PAIR, maintain_order=True).agg("day", "exp")


def _chain(
    days: list[date], exps: list[date], changes: list[date], window: int
) -> list[tuple[date, date | None]]:
    """(due, renewed or None) along one pair's evidence (see the module docstring)."""
    out: list[tuple[date, date | None]] = []
    due: date | None = None
    last: date | None = None
    for day, exp in zip(days, exps, strict=True):
        cut = due is not None and last is not None and any(last < c <= due for c in changes)
        if due is None or cut:
            due, last = exp, day
            continue
        if day < due - timedelta(days=window):
            due, last = max(due, exp), day
            continue
        out.append((due, day))
        due, last = exp, day
    if due is not None and last is not None and not any(last < c <= due for c in changes):
        out.append((due, None))
    return out


def renewal_dues(
    staff: pl.DataFrame,
    requirements: pl.DataFrame,
    evidence: pl.DataFrame,
    certifications: pl.DataFrame,
    protocol_changes: pl.DataFrame,
    as_of: date,
    window_days: int = WINDOW_DAYS,
) -> pl.DataFrame:
    """Every renewal due on or before ``as_of`` (schema ``DUES_SCHEMA``).

    ``renewed`` is the renewal date (NULL while open); ``censored`` the leaving date of a
    leaver whose due is open (NULL otherwise). Evidence after ``as_of`` is ignored.
    """
    terms = staff.select("person_key", "department_id", "role_code", "end_date").join(
        requirements.select(
            "role_code",
            "competency_id",
            pl.col("recert_interval_days").cast(pl.Int64),
            pl.col("evidence_rule").fill_null("passed"),
        ),
        on="role_code",
    )
    chains = _evidence_days(evidence, certifications, terms, as_of)
    inv = protocol_changes.filter(pl.col("invalidates_prior").fill_null(False))
    by_comp: dict[str, list[date]] = {}
    for comp, day in inv.select("competency_id", "change_date").iter_rows():
        by_comp.setdefault(comp, []).append(day)
    people = {
        (p, c): (d, e)
        for p, c, d, e in terms.select(*PAIR, "department_id", "end_date").iter_rows()
    }
    rows = []
    for person, comp, days, exps in chains.iter_rows():
        dept, left = people[(person, comp)]
        for due, renewed in _chain(days, exps, by_comp.get(comp, []), window_days):
            if due > as_of or (left is not None and left < due):
                continue
            gone = left if renewed is None and left is not None and left <= as_of else None
            rows.append((person, dept, comp, due, renewed, gone))
    return pl.DataFrame(rows, schema=DUES_SCHEMA, orient="row")


def inputs_dues(inputs: Inputs, as_of: date) -> pl.DataFrame:
    """:func:`renewal_dues` of one model run's inputs."""
    return renewal_dues(
        inputs["staff"],
        inputs["role_requirements"],
        inputs.evidence,
        inputs["certifications"],
        inputs["protocol_changes"],
        as_of,
    )
