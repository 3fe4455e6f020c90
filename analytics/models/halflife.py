"""Retention: a pooled half-life regression of recertification outcomes, validated out of time.

A first-attempt recertification of competency c, taken delta days after the person's previous
positive evidence, passes with probability p = M_c * (f + (1 - f) * 2^(-delta / h_c))
(half-life regression, Settles & Meeder 2016, with time as its one feature, plus a retention
floor f shared by all competencies: skills do not decay to nothing). The fit is a penalised
likelihood (MAP) with partial pooling across competencies:

* log h_c ~ N(log h0_c + mu, sd_h^2): h0_c is the literature prior of the competency's category
  (``DEFAULT_HALF_LIVES``: resuscitation 120 d, after Arthur et al. 1998 and the 3-6 month
  decay of resuscitation skills) or the import's own value, and mu ~ N(0, sd_mu^2) is one shift
  shared by every competency (the hospital's data move all priors together);
* logit M_c ~ N(alpha, sd_m^2), alpha shared;
* h_c is bounded to [``h_min_days``, ``h_max_days``] (30-1,095 days by default).

No "h doubles on success" walk: a person's half-life is the competency's. ``calibrate``
validates out of time (fit before a cut-off, score the attempts after it: calibration-in-the-
large, calibration slope, Brier against a no-decay baseline; Van Calster et al. 2019). Where the
fit does not beat the baseline, the prior h0_c is used and the row says so (``source``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from analytics.models.evidence import ASSESSMENT_KINDS
from analytics.models.retention_fit import Fit, baseline_rate, calibration_slope, fit_pooled
from analytics.models.settings import ModelSettings

PAIR = ["person_key", "competency_id"]
LEARNING_KINDS = ("passed", "completed", "satisfied", "certification")

__all__ = [
    "CALIBRATION_SCHEMA",
    "LEARNING_KINDS",
    "calibrate",
    "default_half_lives",
    "recert_attempts",
]


def default_half_lives(competencies: pl.DataFrame, settings: ModelSettings) -> pl.DataFrame:
    """``competency_id, default_half_life_days``: the import's value, else the category's prior."""
    by_cat = dict(settings.half_life_by_category)
    return competencies.select(
        "competency_id",
        default_half_life_days=pl.coalesce(
            pl.col("half_life_days").cast(pl.Float64),
            pl.col("category").replace_strict(by_cat, default=None, return_dtype=pl.Float64),
            pl.lit(settings.half_life_fallback_days),
        ).clip(settings.h_min_days, settings.h_max_days),
    )


def recert_attempts(evidence: pl.DataFrame) -> pl.DataFrame:
    """First-attempt assessments that follow earlier positive evidence (a recertification).

    The earlier evidence is the last learning evidence at least one day before the attempt,
    so the ``completed`` a cmi5 unit sends seconds before its own ``passed`` is not mistaken
    for it. Columns: ``person_key, competency_id, at, y (1 pass / 0 fail), delta_days``.
    """
    learn = (
        evidence.filter(pl.col("kind").is_in(LEARNING_KINDS))
        .select(*PAIR, prev_pos="at", key=pl.col("at") + pl.duration(days=1))
        .sort("key")
    )
    att = (
        evidence.filter(pl.col("first_attempt") & pl.col("kind").is_in(ASSESSMENT_KINDS))
        .select(*PAIR, "at", y=(pl.col("kind") == "passed").cast(pl.Float64))
        .sort("at")
    )
    joined = att.join_asof(
        learn, left_on="at", right_on="key", by=PAIR, strategy="backward", check_sortedness=False
    )
    return (
        joined.drop_nulls("prev_pos")
        .select(
            *PAIR,
            "at",
            "y",
            delta_days=(pl.col("at") - pl.col("prev_pos")).dt.total_seconds() / 86400.0,
        )
        .sort(*PAIR, "at")
    )


def _fit_frame(att: pl.DataFrame, comps: list[str], h0: np.ndarray, s: ModelSettings) -> Fit:
    """The pooled fit of the attempts in ``att`` (competencies indexed as in ``comps``)."""
    index = {c: i for i, c in enumerate(comps)}
    idx = np.array([index[c] for c in att["competency_id"].to_list()], dtype=np.int64)
    return fit_pooled(
        att["y"].to_numpy(), att["delta_days"].to_numpy(), idx, h0, s.retention_priors()
    )


def _validate(
    att: pl.DataFrame, comps: list[str], h0: np.ndarray, cutoff: date, s: ModelSettings
) -> dict[str, dict[str, float | int | None]]:
    """Per competency: out-of-time figures of a fit on attempts before ``cutoff``."""
    before = pl.col("at").dt.date() < cutoff
    train, test = att.filter(before), att.filter(~before)
    out: dict[str, dict[str, float | int | None]] = {}
    fit = _fit_frame(train, comps, h0, s) if train.height else None
    for i, comp in enumerate(comps):
        tr = train.filter(pl.col("competency_id") == comp)
        te = test.filter(pl.col("competency_id") == comp)
        row: dict[str, float | int | None] = {"n_train": tr.height, "n_test": te.height}
        if fit is not None and te.height and tr.height:
            y, delta = te["y"].to_numpy(), te["delta_days"].to_numpy()
            p = fit.predict(i, delta)
            base = baseline_rate(tr["y"].to_numpy())
            row |= {
                "validation_half_life_days": float(fit.half_life[i]),
                "observed_rate": float(y.mean()),
                "expected_rate": float(p.mean()),
                "calibration_in_the_large": float(y.mean() - p.mean()),
                "calibration_slope": calibration_slope(y, p),
                "brier_model": float(np.mean((p - y) ** 2)),
                "brier_baseline": float(np.mean((base - y) ** 2)),
            }
        out[comp] = row
    return out


def _source(v: dict[str, float | int | None], s: ModelSettings) -> tuple[str, str | None]:
    """``('fitted', None)`` or ``('prior', why)`` from a competency's validation figures."""
    n_train, n_test = int(v.get("n_train") or 0), int(v.get("n_test") or 0)
    if n_train == 0:
        return "prior", "no recertification attempts before the validation cut-off"
    if n_train < s.min_calibration_attempts:
        return "prior", f"{n_train} attempts before the cut-off (< {s.min_calibration_attempts})"
    if n_test < s.min_validation_attempts:
        return "prior", f"{n_test} attempts after the cut-off (< {s.min_validation_attempts})"
    model, base = v.get("brier_model"), v.get("brier_baseline")
    if model is None or base is None or model >= base:
        return "prior", "did not beat the no-decay baseline out of time"
    return "fitted", None


def calibrate(
    evidence: pl.DataFrame,
    competencies: pl.DataFrame,
    settings: ModelSettings | None = None,
    *,
    as_of: date | None = None,
) -> pl.DataFrame:
    """Half-life per competency with its out-of-time validation (schema ``CALIBRATION_SCHEMA``).

    The validation fit uses attempts before ``as_of - validation_days`` and is scored on the
    attempts after; the half-life used (``half_life_days``) is the fit on every attempt up to
    ``as_of`` where the validation beat the no-decay baseline (``source = 'fitted'``), else the
    prior (``source = 'prior'``, ``reason`` says why). ``half_life_se_log`` is the standard
    error of log h (the prior's sd when the prior is used); ``retention_floor`` the fitted
    floor f (the prior mean when the prior is used).
    """
    s = settings or ModelSettings()
    att = recert_attempts(evidence)
    if as_of is None:
        last = att["at"].max() if att.height else None
        as_of = last.date() if isinstance(last, datetime) else date.today()
    att = att.filter(pl.col("at").dt.date() <= as_of)
    prior = default_half_lives(competencies, s)
    comps = prior["competency_id"].to_list()
    h0 = prior["default_half_life_days"].to_numpy().astype(float)
    att = att.filter(pl.col("competency_id").is_in(comps))
    cutoff = as_of - timedelta(days=s.validation_days)
    checks = _validate(att, comps, h0, cutoff, s)
    full = _fit_frame(att, comps, h0, s) if att.height else None
    rows = []
    for i, comp in enumerate(comps):
        v = checks[comp]
        source, reason = _source(v, s)
        use = full if full is not None and source == "fitted" else None
        row = {
            "competency_id": comp,
            "default_half_life_days": float(h0[i]),
            "fitted_half_life_days": float(full.half_life[i]) if full is not None else None,
            "half_life_days": float(use.half_life[i]) if use else float(h0[i]),
            "half_life_se_log": float(use.se_log_h[i]) if use else s.half_life_prior_sd,
            "retention_floor": use.floor if use else s.retention_floor_prior,
            "comprehension_m": float(full.m[i]) if full is not None else None,
            "n_attempts": int(att.filter(pl.col("competency_id") == comp).height),
            "calibrated": source == "fitted",
            "source": source,
            "reason": reason,
            "cutoff": cutoff,
            **{k: v.get(k) for k in VALIDATION_COLUMNS},
        }
        rows.append(row)
    return pl.DataFrame(rows, schema=CALIBRATION_SCHEMA)


VALIDATION_COLUMNS = (
    "n_train",
    "n_test",
    "validation_half_life_days",
    "observed_rate",
    "expected_rate",
    "calibration_in_the_large",
    "calibration_slope",
    "brier_model",
    "brier_baseline",
)

CALIBRATION_SCHEMA = pl.Schema(
    {
        "competency_id": pl.Utf8(),
        "default_half_life_days": pl.Float64(),
        "fitted_half_life_days": pl.Float64(),
        "half_life_days": pl.Float64(),
        "half_life_se_log": pl.Float64(),
        "retention_floor": pl.Float64(),
        "comprehension_m": pl.Float64(),
        "n_attempts": pl.Int64(),
        "calibrated": pl.Boolean(),
        "source": pl.Utf8(),
        "reason": pl.Utf8(),
        "cutoff": pl.Date(),
        "n_train": pl.Int64(),
        "n_test": pl.Int64(),
        "validation_half_life_days": pl.Float64(),
        "observed_rate": pl.Float64(),
        "expected_rate": pl.Float64(),
        "calibration_in_the_large": pl.Float64(),
        "calibration_slope": pl.Float64(),
        "brier_model": pl.Float64(),
        "brier_baseline": pl.Float64(),
    }
)
