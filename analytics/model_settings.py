"""Model and flag thresholds built from the documented ``LRS_*`` settings."""

from __future__ import annotations

from dataclasses import replace

from analytics.flags import FlagSettings
from analytics.models import ModelSettings
from config.settings import Settings


def from_settings(settings: Settings) -> tuple[ModelSettings, FlagSettings]:
    """The ``(ModelSettings, FlagSettings)`` of a model run configured by ``settings``.

    Raises ``ValueError`` (from the dataclasses' checks) when a threshold is meaningless.
    """
    model = replace(ModelSettings(), target_compliance=settings.target_compliance)
    flags = replace(
        FlagSettings(),
        min_n=settings.flag_min_n,
        min_months=settings.flag_min_months,
        window_months=settings.flag_window_months,
        alarm_e=settings.flag_alarm_e,
        start_months=settings.flag_start_months,
        lam=settings.flag_ewma_lambda,
        baseline_months=settings.flag_baseline_months,
        min_excess=settings.flag_min_excess,
        min_excess_share=settings.flag_min_excess_share,
    )
    return model, flags
