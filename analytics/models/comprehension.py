"""Comprehension M(p, c) and click-through flags (ANALYTICS.md §6, first bullet).

M is first-attempt mastery smoothed with a beta prior centred on the competency's population
mean: M = (correct + k * mu_c) / (items + k), k = ``comprehension_prior_strength``. Item-level
``answered`` first attempts are the trials; a person with no answered items for a competency
falls back to first-attempt assessment outcomes (passed = 1, failed = 0).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.models.evidence import ASSESSMENT_KINDS
from analytics.models.settings import ModelSettings

PAIR = ["person_key", "competency_id"]


def _trials(as_of: date, evidence: pl.DataFrame, answered_items: pl.DataFrame) -> pl.DataFrame:
    """Per pair: ``n_items`` first-attempt trials and ``n_correct`` successes."""
    items = (
        answered_items.filter(
            pl.col("first_attempt")
            & pl.col("success").is_not_null()
            & (pl.col("at").dt.date() <= as_of)
        )
        .group_by(PAIR)
        .agg(n_items=pl.len(), n_correct=pl.col("success").sum())
    )
    assessed = (
        evidence.filter(
            pl.col("first_attempt")
            & pl.col("kind").is_in(ASSESSMENT_KINDS)
            & (pl.col("at").dt.date() <= as_of)
        )
        .group_by(PAIR)
        .agg(n_items=pl.len(), n_correct=(pl.col("kind") == "passed").sum())
        .join(items.select(PAIR), on=PAIR, how="anti")
    )
    cast = [pl.col("n_items").cast(pl.Int64), pl.col("n_correct").cast(pl.Int64)]
    return pl.concat([items.with_columns(cast), assessed.with_columns(cast)])


def comprehension(
    as_of: date,
    evidence: pl.DataFrame,
    answered_items: pl.DataFrame,
    settings: ModelSettings | None = None,
) -> pl.DataFrame:
    """``person_key, competency_id, n_items, n_correct, population_mean, comprehension``.

    Only pairs with at least one trial are listed; ``comprehension_prior`` gives the value for
    the others (the population mean).
    """
    settings = settings or ModelSettings()
    k = settings.comprehension_prior_strength
    t = _trials(as_of, evidence, answered_items)
    mu = pl.col("n_correct").sum().over("competency_id") / pl.col("n_items").sum().over(
        "competency_id"
    )
    return t.with_columns(population_mean=mu).with_columns(
        comprehension=(pl.col("n_correct") + k * pl.col("population_mean"))
        / (pl.col("n_items") + k)
    )


def comprehension_prior(comp: pl.DataFrame) -> pl.DataFrame:
    """``competency_id, population_mean`` from a ``comprehension`` frame."""
    return comp.group_by("competency_id").agg(pl.col("population_mean").first())


def click_through(
    evidence: pl.DataFrame, answered_items: pl.DataFrame, settings: ModelSettings | None = None
) -> pl.DataFrame:
    """Flag passes that look clicked through (one row per ``passed`` evidence row).

    ``no_answers``: the pass has a registration, the person answered no item in it, and the
    activity does have items (someone answered items in a registration of it);
    ``too_fast``: its duration is under ``click_through_fraction`` of the median duration of
    assessments on the same activity (needs ``click_through_min_durations`` of them). Columns:
    ``person_key, competency_id, statement_id, at, no_answers, too_fast, click_through``.
    """
    settings = settings or ModelSettings()
    timed = evidence.filter(
        pl.col("kind").is_in(ASSESSMENT_KINDS) & pl.col("duration_s").is_not_null()
    )
    medians = (
        timed.unique(["statement_id"])
        .group_by("object_id")
        .agg(median=pl.col("duration_s").median(), n=pl.len())
        .filter(pl.col("n") >= settings.click_through_min_durations)
        .drop("n")
    )
    answered = answered_items.select("person_key", "registration").drop_nulls().unique()
    passes = evidence.filter(pl.col("kind") == "passed").join(
        answered.with_columns(has=pl.lit(True)), on=["person_key", "registration"], how="left"
    )
    with_items = passes.filter(pl.col("has")).select("object_id").unique()
    flagged = (
        passes.join(with_items.with_columns(itemised=pl.lit(True)), on="object_id", how="left")
        .join(medians, on="object_id", how="left")
        .with_columns(
            no_answers=pl.col("registration").is_not_null()
            & pl.col("has").is_null()
            & pl.col("itemised").fill_null(False),
            too_fast=(
                pl.col("duration_s") < settings.click_through_fraction * pl.col("median")
            ).fill_null(False),
        )
    )
    return flagged.select(
        *PAIR,
        "statement_id",
        "at",
        "no_answers",
        "too_fast",
        click_through=pl.col("no_answers") | pl.col("too_fast"),
    ).sort(*PAIR, "at")
