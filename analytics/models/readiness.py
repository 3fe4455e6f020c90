"""Readiness r(p, c, t) = M * R * carryover (ANALYTICS.md §6): an estimate, never a gate.

* M: smoothed first-attempt comprehension (``comprehension`` module);
* R = 2^(-delta / h): delta days since the last learning evidence (passed, allowed completed,
  satisfied, certification); h starts at the competency half-life (import value, calibrated
  value, or category default) and follows the review walk h <- 2h on a successful review,
  h <- max(h_min, h/2) on a failure, capped at h_max;
* carryover: product of the carryover of every protocol change since the last evidence;
* r = 0 when the person never passed (or only holds a waiver).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.models.compliance import active_staff, required_pairs
from analytics.models.comprehension import click_through, comprehension, comprehension_prior
from analytics.models.evidence import EVIDENCE_SCHEMA, certification_evidence
from analytics.models.halflife import LEARNING_KINDS, default_half_lives, review_steps
from analytics.models.settings import ModelSettings

PAIR = ["person_key", "competency_id"]
READINESS_SCHEMA = pl.Schema(
    {
        "as_of": pl.Date(),
        "person_key": pl.Utf8(),
        "department_id": pl.Utf8(),
        "competency_id": pl.Utf8(),
        "required": pl.Boolean(),
        "ever_passed": pl.Boolean(),
        "waived_only": pl.Boolean(),
        "n_items": pl.Int64(),
        "n_correct": pl.Int64(),
        "comprehension": pl.Float64(),
        "last_evidence_at": pl.Datetime("us", "UTC"),
        "delta_days": pl.Int64(),
        "half_life_days": pl.Float64(),
        "retention": pl.Float64(),
        "carryover": pl.Float64(),
        "readiness": pl.Float64(),
        "click_through_passes": pl.Int64(),
        "last_pass_click_through": pl.Boolean(),
    }
)


def _pairs(
    as_of: date, staff: pl.DataFrame, requirements: pl.DataFrame, ev: pl.DataFrame
) -> pl.DataFrame:
    """Required pairs plus pairs where an active person holds evidence outside the role."""
    req = required_pairs(as_of, staff, requirements).select(
        *PAIR, "department_id", "evidence_rule", required=pl.lit(True)
    )
    people = active_staff(as_of, staff).select("person_key", "department_id")
    extra = (
        people.join(ev.select(PAIR).unique(), on="person_key")
        .join(req.select(PAIR), on=PAIR, how="anti")
        .with_columns(evidence_rule=pl.lit("passed_or_completed"), required=pl.lit(False))
    )
    return pl.concat([req, extra.select(req.columns)])


def _learning(pairs: pl.DataFrame, ev: pl.DataFrame) -> pl.DataFrame:
    """Per pair: last learning evidence time and whether only a waiver is held."""
    t = pairs.select(*PAIR, "evidence_rule").join(ev, on=PAIR)
    learn = pl.col("kind").is_in(LEARNING_KINDS) & (
        (pl.col("kind") != "completed") | (pl.col("evidence_rule") == "passed_or_completed")
    )
    return t.group_by(PAIR).agg(
        last_evidence_at=pl.col("at").filter(learn).max(),
        any_waiver=(pl.col("kind") == "waived").any(),
    )


def _half_lives(
    pairs: pl.DataFrame,
    ev: pl.DataFrame,
    competencies: pl.DataFrame,
    settings: ModelSettings,
    half_lives: pl.DataFrame | None,
) -> pl.DataFrame:
    """Per pair ``half_life_days`` after the clamped review walk (closed form, vectorised)."""
    h0 = default_half_lives(competencies, settings)
    if half_lives is not None:
        h0 = h0.join(
            half_lives.select("competency_id", "half_life_days"), on="competency_id", how="left"
        )
        h0 = h0.with_columns(pl.coalesce("half_life_days", "default_half_life_days"))
    h0 = h0.select("competency_id", h0=pl.col(h0.columns[-1]))
    walk = (
        review_steps(ev)
        .group_by(PAIR)
        .agg(s=pl.col("step").sum(), s_min=pl.col("step").cum_sum().min())
    )
    floor = (pl.lit(settings.h_min_days) / pl.col("h0")).log(2)
    # x_n = S_n + max(0, max_j (L - S_j)): a walk clamped from below at L = log2(h_min / h0).
    x = pl.col("s") - pl.min_horizontal(pl.lit(0.0), pl.col("s_min") - floor)
    h = (pl.col("h0") * pl.lit(2.0).pow(x.fill_null(0.0))).clip(
        settings.h_min_days, settings.h_max_days
    )
    return (
        pairs.select(PAIR)
        .join(h0, on="competency_id", how="left")
        .join(walk, on=PAIR, how="left")
        .with_columns(pl.col("h0").fill_null(settings.half_life_fallback_days))
        .select(*PAIR, half_life_days=h)
    )


def carryover_factor(settings: ModelSettings) -> pl.Expr:
    """A protocol change's carryover; null means the settings default if invalidating, else 1."""
    return pl.coalesce(
        pl.col("carryover").cast(pl.Float64),
        pl.when(pl.col("invalidates_prior").fill_null(False))
        .then(settings.default_invalidating_carryover)
        .otherwise(1.0),
    )


def _carryover(
    as_of: date, learned: pl.DataFrame, changes: pl.DataFrame, settings: ModelSettings
) -> pl.DataFrame:
    """Per pair, the product of carryovers of protocol changes after the last evidence."""
    ch = changes.filter(pl.col("change_date") <= as_of).select(
        "competency_id", "change_date", factor=carryover_factor(settings)
    )
    return (
        learned.drop_nulls("last_evidence_at")
        .join(ch, on="competency_id")
        .filter(pl.col("change_date") > pl.col("last_evidence_at").dt.date())
        .group_by(PAIR)
        .agg(carryover=pl.col("factor").product())
    )


def _click_summary(
    ev: pl.DataFrame, answered_items: pl.DataFrame, settings: ModelSettings
) -> pl.DataFrame:
    """Per pair: number of flagged passes and whether the latest pass is flagged."""
    return (
        click_through(ev, answered_items, settings)
        .group_by(PAIR)
        .agg(
            click_through_passes=pl.col("click_through").sum(),
            last_pass_click_through=pl.col("click_through").sort_by("at").last(),
        )
    )


def readiness(
    as_of: date,
    staff: pl.DataFrame,
    requirements: pl.DataFrame,
    competencies: pl.DataFrame,
    evidence: pl.DataFrame,
    answered_items: pl.DataFrame,
    protocol_changes: pl.DataFrame,
    settings: ModelSettings | None = None,
    *,
    certifications: pl.DataFrame | None = None,
    half_lives: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Readiness per (person, competency) on ``as_of`` (schema ``READINESS_SCHEMA``).

    Rows: every required pair of active staff, plus pairs with evidence outside the role
    (``required = False``). ``half_lives`` (``competency_id, half_life_days``, e.g. from
    ``halflife.calibrate``) overrides the defaults; ``certifications`` count as learning.
    """
    settings = settings or ModelSettings()
    ev = evidence.filter(pl.col("at").dt.date() <= as_of)
    if certifications is not None:
        certs = certification_evidence(certifications.filter(pl.col("issued") <= as_of))
        ev = pl.concat([ev, certs.select(list(EVIDENCE_SCHEMA))])
    items = answered_items.filter(pl.col("at").dt.date() <= as_of)
    pairs = _pairs(as_of, staff, requirements, ev)
    learned = _learning(pairs, ev)
    comp = comprehension(as_of, ev, items, settings)
    t = (
        pairs.join(learned, on=PAIR, how="left")
        .join(comp.drop("population_mean"), on=PAIR, how="left")
        .join(comprehension_prior(comp), on="competency_id", how="left")
        .join(_half_lives(pairs, ev, competencies, settings, half_lives), on=PAIR, how="left")
        .join(_carryover(as_of, learned, protocol_changes, settings), on=PAIR, how="left")
        .join(_click_summary(ev, items, settings), on=PAIR, how="left")
    )
    delta = (pl.lit(as_of) - pl.col("last_evidence_at").dt.date()).dt.total_days()
    t = t.with_columns(
        as_of=pl.lit(as_of),
        ever_passed=pl.col("last_evidence_at").is_not_null(),
        waived_only=pl.col("last_evidence_at").is_null() & pl.col("any_waiver").fill_null(False),
        n_items=pl.col("n_items").fill_null(0),
        n_correct=pl.col("n_correct").fill_null(0),
        comprehension=pl.coalesce("comprehension", "population_mean", pl.lit(1.0)),
        delta_days=delta,
        carryover=pl.col("carryover").fill_null(1.0),
        click_through_passes=pl.col("click_through_passes").fill_null(0),
        last_pass_click_through=pl.col("last_pass_click_through").fill_null(False),
    ).with_columns(retention=pl.lit(2.0).pow(-pl.col("delta_days") / pl.col("half_life_days")))
    t = t.with_columns(
        readiness=pl.when(pl.col("ever_passed"))
        .then(pl.col("comprehension") * pl.col("retention") * pl.col("carryover"))
        .otherwise(0.0)
    )
    return t.select(list(READINESS_SCHEMA)).cast(READINESS_SCHEMA).sort(PAIR)
