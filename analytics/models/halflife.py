"""Half-lives: review dynamics (h <- 2h / h <- max(h_min, h/2)) and calibration from data.

Calibration fits, per competency, the half-life h (and, unless given, the comprehension M) that
maximise the likelihood of recertification first-attempt outcomes under
P(success) = M * 2^(-delta / (h * 2^s)), where delta is the days since the previous positive
evidence and s the review state (log2 of the half-life multiplier) before the attempt. The
Brier score is reported before (default h) and after calibration on the same attempts.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.optimize import minimize

from analytics.models.evidence import ASSESSMENT_KINDS
from analytics.models.settings import ModelSettings

PAIR = ["person_key", "competency_id"]
LEARNING_KINDS = ("passed", "completed", "satisfied", "certification")
_EPS = 1e-6


def review_steps(evidence: pl.DataFrame) -> pl.DataFrame:
    """Per person x competency x day, the log2 change of the half-life that day.

    The first day with a pass is initial learning (step 0); a later day with only passes is a
    successful review (+1, h doubles); a day with only failures is -1 (h halves); a day with
    both nets 0. Columns: ``person_key, competency_id, day, step``.
    """
    days = (
        evidence.filter(pl.col("kind").is_in(ASSESSMENT_KINDS))
        .with_columns(day=pl.col("at").dt.date())
        .group_by(*PAIR, "day")
        .agg(
            p=(pl.col("kind") == "passed").any(),
            f=(pl.col("kind") == "failed").any(),
        )
        .sort(*PAIR, "day")
    )
    first_pass = pl.col("day").filter(pl.col("p")).min().over(PAIR)
    step = (
        pl.when(pl.col("day") == first_pass)
        .then(0)
        .when(pl.col("p") & pl.col("f"))
        .then(0)
        .when(pl.col("p"))
        .then(1)
        .otherwise(-1)
    )
    return days.select(*PAIR, "day", step=step.cast(pl.Int64))


def default_half_lives(competencies: pl.DataFrame, settings: ModelSettings) -> pl.DataFrame:
    """``competency_id, default_half_life_days``: the import's value, else the category's."""
    by_cat = dict(settings.half_life_by_category)
    return competencies.select(
        "competency_id",
        default_half_life_days=pl.coalesce(
            pl.col("half_life_days").cast(pl.Float64),
            pl.col("category").replace_strict(by_cat, default=None, return_dtype=pl.Float64),
            pl.lit(settings.half_life_fallback_days),
        ),
    )


def recert_attempts(evidence: pl.DataFrame) -> pl.DataFrame:
    """First-attempt assessments that follow earlier positive evidence (a recertification).

    Columns: ``person_key, competency_id, at, y (1 pass / 0 fail), delta_days, state`` where
    ``state`` is the unclamped review state (sum of ``review_steps``) before the attempt day.
    """
    ev = evidence.sort(*PAIR, "at", "statement_id")
    pos_at = pl.when(pl.col("kind").is_in(LEARNING_KINDS)).then(pl.col("at"))
    ev = ev.with_columns(prev_pos=pos_at.shift(1).forward_fill().over(PAIR))
    att = ev.filter(
        pl.col("first_attempt")
        & pl.col("kind").is_in(ASSESSMENT_KINDS)
        & pl.col("prev_pos").is_not_null()
    ).with_columns(
        day=pl.col("at").dt.date(),
        y=(pl.col("kind") == "passed").cast(pl.Float64),
        delta_days=(pl.col("at") - pl.col("prev_pos")).dt.total_seconds() / 86400.0,
    )
    att = att.filter(pl.col("delta_days") >= 1.0)
    steps = review_steps(evidence)
    states = att.select(*PAIR, "day").unique().join(steps, on=PAIR, suffix="_s")
    states = (
        states.filter(pl.col("day_s") < pl.col("day"))
        .group_by(*PAIR, "day")
        .agg(state=pl.col("step").sum())
    )
    return att.join(states, on=[*PAIR, "day"], how="left").select(
        *PAIR, "at", "y", "delta_days", state=pl.col("state").fill_null(0).cast(pl.Float64)
    )


def _prob(m: float | np.ndarray, h: float, delta: np.ndarray, state: np.ndarray) -> np.ndarray:
    """P(success) = M * 2^(-delta / (h * 2^state)), clipped away from 0 and 1."""
    p: np.ndarray = np.clip(m * np.exp2(-delta / (h * np.exp2(state))), _EPS, 1.0 - _EPS)
    return p


def _fit(
    y: np.ndarray, delta: np.ndarray, state: np.ndarray, m: np.ndarray | None, h0: float
) -> tuple[float, float, float]:
    """Maximum-likelihood (M, h) with h fixed at ``h0`` (first) and free (second) -> M0, M, h."""

    def nll(params: np.ndarray, fixed_h: float | None) -> float:
        mm = m if m is not None else 1.0 / (1.0 + math.exp(-params[0]))
        h = fixed_h if fixed_h is not None else math.exp(params[-1])
        p = _prob(mm, h, delta, state)
        return float(-np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p)))

    start = np.array([2.0, math.log(h0)])
    m0 = 1.0
    if m is None:
        r0 = minimize(nll, start[:1], args=(h0,), method="L-BFGS-B", bounds=[(-8.0, 12.0)])
        m0 = 1.0 / (1.0 + math.exp(-float(r0.x[0])))
        bounds = [(-8.0, 12.0), (math.log(1.0), math.log(36500.0))]
        r = minimize(nll, start, args=(None,), method="L-BFGS-B", bounds=bounds)
        return m0, 1.0 / (1.0 + math.exp(-float(r.x[0]))), math.exp(float(r.x[1]))
    r = minimize(nll, start[1:], args=(None,), method="L-BFGS-B", bounds=[(0.0, math.log(36500.0))])
    return m0, m0, math.exp(float(r.x[0]))


def calibrate(
    evidence: pl.DataFrame,
    competencies: pl.DataFrame,
    settings: ModelSettings | None = None,
    comprehension: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Calibrated half-life per competency, or the default with ``calibrated = False``.

    ``comprehension`` (``person_key, competency_id, comprehension``) fixes M per person;
    without it M is fitted per competency alongside h. Columns: ``competency_id,
    default_half_life_days, half_life_days, comprehension_m, n_attempts, calibrated,
    brier_before, brier_after`` (Brier scores null when not calibrated).
    """
    settings = settings or ModelSettings()
    att = recert_attempts(evidence)
    if comprehension is not None:
        att = att.join(comprehension.select(*PAIR, "comprehension"), on=PAIR, how="left")
    rows = []
    for comp_id, h0 in default_half_lives(competencies, settings).iter_rows():
        a = att.filter(pl.col("competency_id") == comp_id)
        row = {"competency_id": comp_id, "default_half_life_days": h0, "half_life_days": h0,
               "comprehension_m": None, "n_attempts": a.height, "calibrated": False,
               "brier_before": None, "brier_after": None}  # fmt: skip
        if a.height >= settings.min_calibration_attempts:
            y, delta, state = (a.get_column(c).to_numpy() for c in ("y", "delta_days", "state"))
            m = None
            if comprehension is not None:
                m = a.get_column("comprehension").fill_null(1.0).to_numpy()
            m0, m1, h1 = _fit(y, delta, state, m, h0)
            before = _prob(m if m is not None else m0, h0, delta, state)
            after = _prob(m if m is not None else m1, h1, delta, state)
            row |= {"half_life_days": h1, "comprehension_m": None if m is not None else m1,
                    "calibrated": True, "brier_before": float(np.mean((before - y) ** 2)),
                    "brier_after": float(np.mean((after - y) ** 2))}  # fmt: skip
        rows.append(row)
    return pl.DataFrame(rows, schema=CALIBRATION_SCHEMA)


CALIBRATION_SCHEMA = pl.Schema(
    {
        "competency_id": pl.Utf8(),
        "default_half_life_days": pl.Float64(),
        "half_life_days": pl.Float64(),
        "comprehension_m": pl.Float64(),
        "n_attempts": pl.Int64(),
        "calibrated": pl.Boolean(),
        "brier_before": pl.Float64(),
        "brier_after": pl.Float64(),
    }
)
