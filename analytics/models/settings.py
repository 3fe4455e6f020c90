"""Thresholds and defaults of the compliance and readiness models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from analytics.models.retention_fit import Priors

#: Default competency half-lives (days) by category, used when ``half_life_days`` is null.
#: ANALYTICS.md §6: resuscitation 120 d, high-risk procedures 180 d, policy knowledge 365 d.
#: The import's categories map onto those: clinical and safety skills decay like high-risk
#: procedures, regulatory and privacy content is policy knowledge.
DEFAULT_HALF_LIVES: Mapping[str, float] = MappingProxyType(
    {
        "resuscitation": 120.0,
        "high_risk": 180.0,
        "clinical": 180.0,
        "safety": 180.0,
        "policy": 365.0,
        "regulatory": 365.0,
        "privacy": 365.0,
    }
)


@dataclass(frozen=True)
class ModelSettings:
    """Every tunable number of the models, with its documented default.

    Attributes:
        target_compliance: department compliance below this is "red" (time-to-red target).
        h_min_days: lower bound of a competency half-life (fit and priors; skill-decay
            literature: nothing clinical is forgotten by half in under a month).
        h_max_days: upper bound of a competency half-life (three years).
        half_life_by_category: default half-life per competency category.
        half_life_fallback_days: half-life for a category not in the map (or null).
        comprehension_prior_strength: pseudo-items of the beta prior that pulls a person's
            first-attempt mastery toward the population mean of the competency.
        click_through_fraction: a pass faster than this fraction of the activity's median
            duration is flagged as a click-through.
        click_through_min_durations: attempts with a duration needed before an activity's
            median duration is trusted for the click-through flag.
        retake_window_days: an assessment less than this many days after a failure on the same
            competency is a retake, not a first attempt.
        min_calibration_attempts: recertification first attempts a competency needs before its
            half-life is calibrated from data.
        half_life_prior_sd: sd of log h around the competency's prior half-life (0.5: the
            prior's 95 % range is a factor 2.7 either way).
        half_life_shift_sd: sd of the hospital-wide shift of every log half-life from its prior.
        comprehension_logit_sd: sd of a competency's logit M around the shared mean (pooling).
        retention_floor_prior: prior mean of the retention floor f (R = f + (1 - f) 2^(-t/h)):
            the share of a skill that does not decay; also used when the prior is used.
        retention_floor_sd: sd of logit f around the prior mean.
        validation_days: the out-of-time validation scores the attempts of the last this many
            days with a fit on the attempts before them.
        min_validation_attempts: attempts after the cut-off a competency needs before its fitted
            half-life may replace the prior.
        default_invalidating_carryover: carryover of an invalidating protocol change whose
            carryover is null (a non-invalidating change with null carryover keeps 1.0).
        forecast_max_days: how far ahead "time to red" is searched.
    """

    target_compliance: float = 0.9
    h_min_days: float = 30.0
    h_max_days: float = 1095.0
    half_life_by_category: Mapping[str, float] = field(default_factory=lambda: DEFAULT_HALF_LIVES)
    half_life_fallback_days: float = 365.0
    comprehension_prior_strength: float = 8.0
    click_through_fraction: float = 0.25
    click_through_min_durations: int = 5
    retake_window_days: int = 30
    min_calibration_attempts: int = 50
    half_life_prior_sd: float = 0.5
    half_life_shift_sd: float = 0.5
    comprehension_logit_sd: float = 1.5
    retention_floor_prior: float = 0.5
    retention_floor_sd: float = 1.5
    validation_days: int = 365
    min_validation_attempts: int = 30
    default_invalidating_carryover: float = 0.5
    forecast_max_days: int = 365

    def __post_init__(self) -> None:
        """Reject settings that would make the models meaningless."""
        if not 0.0 < self.target_compliance <= 1.0:
            raise ValueError("target_compliance must be in (0, 1]")
        if not 0.0 < self.h_min_days <= self.h_max_days:
            raise ValueError("need 0 < h_min_days <= h_max_days")
        if self.comprehension_prior_strength <= 0:
            raise ValueError("comprehension_prior_strength must be > 0")
        if not 0.0 < self.click_through_fraction < 1.0:
            raise ValueError("click_through_fraction must be in (0, 1)")
        if not 0.0 <= self.default_invalidating_carryover <= 1.0:
            raise ValueError("default_invalidating_carryover must be in [0, 1]")
        if min(self.half_life_prior_sd, self.half_life_shift_sd, self.comprehension_logit_sd) <= 0:
            raise ValueError("half_life_prior_sd, half_life_shift_sd, comprehension_logit_sd > 0")
        if not 0.0 < self.retention_floor_prior < 1.0 or self.retention_floor_sd <= 0:
            raise ValueError("retention_floor_prior must be in (0, 1), retention_floor_sd > 0")
        if self.validation_days < 1 or self.min_validation_attempts < 1:
            raise ValueError("validation_days >= 1 and min_validation_attempts >= 1")
        if self.min_calibration_attempts < 2 or self.forecast_max_days < 1:
            raise ValueError("min_calibration_attempts >= 2 and forecast_max_days >= 1")

    def retention_priors(self) -> Priors:
        """The prior sds and half-life bounds of the pooled retention fit."""
        return Priors(
            sd_h=self.half_life_prior_sd,
            sd_mu=self.half_life_shift_sd,
            sd_m=self.comprehension_logit_sd,
            floor_mean=self.retention_floor_prior,
            sd_floor=self.retention_floor_sd,
            h_min=self.h_min_days,
            h_max=self.h_max_days,
        )

    def half_life_for(self, category: str | None) -> float:
        """Default half-life (days) of a competency category."""
        if category is None:
            return self.half_life_fallback_days
        return float(self.half_life_by_category.get(category, self.half_life_fallback_days))
