"""Classical item statistics of assessment items from ``answered`` statements.

An item is the object of an ``answered`` statement; its activity is the mapped assessment
activity its id sits under (``<activity>/items/q1``, given ``activity_competency``: a mapped
activity or the object of any passed / failed statement), else the
statement's first ``context.contextActivities.parent``, so items line up with the activity
rows of ``activity_quality`` (keyed by the assessment's object id). Only each learner's first
answer to an item within a registration counts. Per item:

* ``difficulty``: the share of those answers that are correct (the classical item p-value:
  higher is easier, as the dashboards plot it);
* ``discrimination``: the point-biserial (Pearson) correlation between the item's correctness
  and the learner's total correct on that activity attempt (same person and registration);
  null when either side has no variance;
* ``n``: answers counted.
"""

from __future__ import annotations

import polars as pl

from analytics.models.evidence import ANSWERED, FAILED, PASSED, item_parents

SCHEMA = pl.Schema(
    {
        "activity_id": pl.Utf8(),
        "item_id": pl.Utf8(),
        "difficulty": pl.Float64(),
        "discrimination": pl.Float64(),
        "n": pl.Int64(),
    }
)


def item_quality(
    statements: pl.DataFrame, activity_competency: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per (activity, item): difficulty (share correct), discrimination and n (see module)."""
    st = statements.filter(
        (pl.col("verb_id") == ANSWERED)
        & pl.col("person_key").is_not_null()
        & pl.col("success").is_not_null()
    )
    under = pl.DataFrame(schema={"iri": pl.Utf8, "activity_id": pl.Utf8})
    if activity_competency is not None:
        graded = statements.filter(pl.col("verb_id").is_in([PASSED, FAILED]))
        candidates = pl.concat(
            [
                activity_competency.select("activity_id"),
                graded.select(activity_id=pl.col("object_id")).drop_nulls(),
            ]
        ).unique()
        under = item_parents(st, candidates)
    answers = (
        st.join(
            under.rename({"iri": "object_id", "activity_id": "by_id"}), on="object_id", how="left"
        )
        .with_columns(activity_id=pl.coalesce("by_id", pl.col("parent_ids").list.first()))
        .filter(pl.col("activity_id").is_not_null())
        .select(
            "person_key",
            "registration",
            "timestamp",
            "statement_id",
            "activity_id",
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
