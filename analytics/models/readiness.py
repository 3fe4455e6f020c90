"""Readiness r(p, c, t) = M * R * carryover (ANALYTICS.md §6): an estimate, never a gate.

* M: smoothed first-attempt comprehension (``comprehension`` module), a beta posterior;
* R = 2^(-delta / h): delta days since the last learning evidence (passed, allowed completed,
  satisfied, certification); h is the competency's half-life (``halflife.calibrate``: fitted
  with partial pooling where it beat the no-decay baseline out of time, else the prior);
* carryover: product of the carryover of every protocol change since the last evidence;
* r = 0 when the person is required and never passed (``readiness_state = 'never_passed'``);
* a competency nobody has assessment evidence for (passed / failed / answered items; e.g.
  certification cards only) has NO number: readiness null, ``'no_assessment_evidence'``.

The 95 % interval takes M at its beta posterior 2.5 / 97.5 % quantiles and h at
exp(log h -/+ 1.96 se): both ends move together, so it is conservative (covers at least 95 %
when the two are independent).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from scipy.stats import beta as beta_dist

from analytics.models.compliance import active_staff, required_pairs
from analytics.models.comprehension import click_through, comprehension, comprehension_prior
from analytics.models.evidence import ASSESSMENT_KINDS, EVIDENCE_SCHEMA, certification_evidence
from analytics.models.halflife import LEARNING_KINDS, default_half_lives
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
        "comprehension_sd": pl.Float64(),
        "last_evidence_at": pl.Datetime("us", "UTC"),
        "delta_days": pl.Int64(),
        "half_life_days": pl.Float64(),
        "retention": pl.Float64(),
        "retention_floor": pl.Float64(),
        "retention_lo": pl.Float64(),
        "retention_hi": pl.Float64(),
        "carryover": pl.Float64(),
        "readiness": pl.Float64(),
        "readiness_lo": pl.Float64(),
        "readiness_hi": pl.Float64(),
        "readiness_state": pl.Utf8(),
        "onboarding": pl.Boolean(),
        "click_through_passes": pl.Int64(),
        "last_pass_click_through": pl.Boolean(),
    }
)


def _pairs(
    as_of: date, staff: pl.DataFrame, requirements: pl.DataFrame, ev: pl.DataFrame
) -> pl.DataFrame:
    """Required pairs plus pairs where an active person holds evidence outside the role."""
    req = required_pairs(as_of, staff, requirements).select(
        *PAIR,
        "department_id",
        "evidence_rule",
        required=pl.lit(True),
        in_onboarding=(pl.col("hire_date") + pl.duration(days=pl.col("initial_due_days"))) >= as_of,
    )
    people = active_staff(as_of, staff).select("person_key", "department_id")
    extra = (
        people.join(ev.select(PAIR).unique(), on="person_key")
        .join(req.select(PAIR), on=PAIR, how="anti")
        .with_columns(
            evidence_rule=pl.lit("passed_or_completed"),
            required=pl.lit(False),
            in_onboarding=pl.lit(False),
        )
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
    competencies: pl.DataFrame, settings: ModelSettings, half_lives: pl.DataFrame | None
) -> pl.DataFrame:
    """``competency_id, half_life_days, half_life_se_log``: calibrated where given, else prior."""
    h = default_half_lives(competencies, settings).rename(
        {"default_half_life_days": "half_life_days"}
    )
    h = h.with_columns(
        half_life_se_log=pl.lit(settings.half_life_prior_sd),
        retention_floor=pl.lit(settings.retention_floor_prior),
    )
    if half_lives is None:
        return h

    def given_or(col: str, default: float) -> pl.Expr:
        return pl.col(col) if col in half_lives.columns else pl.lit(default, pl.Float64)

    given = half_lives.select(
        "competency_id",
        h1="half_life_days",
        se1=given_or("half_life_se_log", settings.half_life_prior_sd),
        f1=given_or("retention_floor", settings.retention_floor_prior),
    )
    return h.join(given, on="competency_id", how="left").select(
        "competency_id",
        half_life_days=pl.coalesce("h1", "half_life_days"),
        half_life_se_log=pl.coalesce("se1", "half_life_se_log"),
        retention_floor=pl.coalesce("f1", "retention_floor"),
    )


def assessed_competencies(ev: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """``competency_id`` of competencies someone has assessment evidence for (not cards only)."""
    graded = ev.filter(pl.col("kind").is_in(ASSESSMENT_KINDS)).select("competency_id")
    return pl.concat([graded, items.select("competency_id")]).unique()


def _comprehension_bounds(t: pl.DataFrame, k: float) -> pl.DataFrame:
    """Add ``m_lo, m_hi, comprehension_sd``: 95 % bounds and sd of M's beta posterior."""
    mu = t["population_mean"].fill_null(0.5).clip(1e-3, 1 - 1e-3).to_numpy()
    n = t["n_items"].fill_null(0).to_numpy().astype(float)
    c = t["n_correct"].fill_null(0).to_numpy().astype(float)
    a, b = c + k * mu, n - c + k * (1.0 - mu)
    lo, hi = beta_dist.ppf(0.025, a, b), beta_dist.ppf(0.975, a, b)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))
    return t.with_columns(
        m_lo=pl.Series(np.asarray(lo)),
        m_hi=pl.Series(np.asarray(hi)),
        comprehension_sd=pl.Series(sd),
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
    (``required = False``). ``half_lives`` (``competency_id, half_life_days`` and optionally
    ``half_life_se_log``, e.g. from ``halflife.calibrate``) overrides the priors;
    ``certifications`` count as learning. ``onboarding``: never passed and still inside the
    requirement's initial due period (left out of department means).
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
    assessed = assessed_competencies(ev, items).with_columns(assessed=pl.lit(True))
    t = (
        pairs.join(learned, on=PAIR, how="left")
        .join(comp.drop("population_mean"), on=PAIR, how="left")
        .join(comprehension_prior(comp), on="competency_id", how="left")
        .join(_half_lives(competencies, settings, half_lives), on="competency_id", how="left")
        .join(_carryover(as_of, learned, protocol_changes, settings), on=PAIR, how="left")
        .join(_click_summary(ev, items, settings), on=PAIR, how="left")
        .join(assessed, on="competency_id", how="left")
    )
    delta = (pl.lit(as_of) - pl.col("last_evidence_at").dt.date()).dt.total_days()
    t = t.with_columns(
        as_of=pl.lit(as_of),
        ever_passed=pl.col("last_evidence_at").is_not_null(),
        waived_only=pl.col("last_evidence_at").is_null() & pl.col("any_waiver").fill_null(False),
        n_items=pl.col("n_items").fill_null(0),
        n_correct=pl.col("n_correct").fill_null(0),
        comprehension=pl.coalesce("comprehension", "population_mean", pl.lit(1.0)),
        half_life_days=pl.col("half_life_days").fill_null(settings.half_life_fallback_days),
        half_life_se_log=pl.col("half_life_se_log").fill_null(settings.half_life_prior_sd),
        retention_floor=pl.col("retention_floor").fill_null(settings.retention_floor_prior),
        delta_days=delta,
        carryover=pl.col("carryover").fill_null(1.0),
        click_through_passes=pl.col("click_through_passes").fill_null(0),
        last_pass_click_through=pl.col("last_pass_click_through").fill_null(False),
        assessed=pl.col("assessed").fill_null(False),
    ).with_columns(retention=_retention(pl.col("half_life_days")))
    t = _with_readiness(_comprehension_bounds(t, settings.comprehension_prior_strength))
    return t.select(list(READINESS_SCHEMA)).cast(READINESS_SCHEMA).sort(PAIR)


def _retention(h: pl.Expr) -> pl.Expr:
    """R = f + (1 - f) * 2^(-delta / h) with f = ``retention_floor``."""
    f = pl.col("retention_floor")
    return f + (1.0 - f) * pl.lit(2.0).pow(-pl.col("delta_days") / h)


def _with_readiness(t: pl.DataFrame) -> pl.DataFrame:
    """``readiness``, its 95 % bounds, ``readiness_state`` and ``onboarding`` (module doc)."""
    z = 1.96 * pl.col("half_life_se_log")
    ret_lo = _retention(pl.col("half_life_days") * (-z).exp())
    ret_hi = _retention(pl.col("half_life_days") * z.exp())
    r_lo, r_hi = pl.col("m_lo") * ret_lo, pl.col("m_hi") * ret_hi
    carry = pl.col("carryover")
    no_number = ~pl.col("assessed")
    est = pl.col("ever_passed")

    def pick(value: pl.Expr) -> pl.Expr:
        return pl.when(no_number).then(None).when(est).then(value * carry).otherwise(0.0)

    state = (
        pl.when(~pl.col("required"))
        .then(None)
        .when(no_number)
        .then(pl.lit("no_assessment_evidence"))
        .when(est)
        .then(pl.lit("estimated"))
        .otherwise(pl.lit("never_passed"))
    )
    m = pl.col("comprehension") * pl.col("retention")
    return t.with_columns(
        readiness=pick(m),
        readiness_lo=pick(pl.min_horizontal(r_lo, m)),
        readiness_hi=pick(pl.max_horizontal(r_hi, m).clip(upper_bound=1.0)),
        readiness_state=state,
        retention_lo=pl.when(est).then(ret_lo),
        retention_hi=pl.when(est).then(ret_hi),
        onboarding=pl.col("in_onboarding") & ~est,
    )
