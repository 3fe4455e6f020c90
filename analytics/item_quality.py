"""Classical item statistics of assessment items from ``answered`` statements.

An item is the object of an ``answered`` statement; its activity is the statement's first
``context.contextActivities.parent``. Only each learner's first answer to an item within a
registration counts. Per item:

* ``difficulty``: the share of those answers that are correct (the classical item p-value:
  higher is easier, as the dashboards plot it);
* ``discrimination``: the point-biserial (Pearson) correlation between the item's correctness
  and the learner's total correct on that activity attempt (same person and registration);
  null when either side has no variance;
* ``n``: answers counted.
"""

from __future__ import annotations

import polars as pl

from analytics.models.evidence import ANSWERED

SCHEMA = pl.Schema(
    {
        "activity_id": pl.Utf8(),
        "item_id": pl.Utf8(),
        "difficulty": pl.Float64(),
        "discrimination": pl.Float64(),
        "n": pl.Int64(),
    }
)


def item_quality(statements: pl.DataFrame) -> pl.DataFrame:
    """Per (activity, item): difficulty (share correct), discrimination and n (see module)."""
    answers = (
        statements.filter(
            (pl.col("verb_id") == ANSWERED)
            & pl.col("person_key").is_not_null()
            & pl.col("success").is_not_null()
            & (pl.col("parent_ids").list.len() > 0)
        )
        .select(
            "person_key",
            "registration",
            "timestamp",
            "statement_id",
            activity_id=pl.col("parent_ids").list.first(),
            item_id="object_id",
            correct=pl.col("success").cast(pl.Float64),
        )
        .sort("timestamp", "statement_id")
        .unique(["person_key", "registration", "activity_id", "item_id"], keep="first")
    )
    attempt = ["person_key", "registration", "activity_id"]
    scored = answers.with_columns(total=pl.col("correct").sum().over(attempt))
    out = scored.group_by("activity_id", "item_id").agg(
        difficulty=pl.col("correct").mean(),
        discrimination=pl.corr("correct", "total"),
        n=pl.len(),
    )
    out = out.with_columns(pl.col("discrimination").fill_nan(None))
    return out.select(list(SCHEMA)).cast(SCHEMA).sort("activity_id", "item_id")
