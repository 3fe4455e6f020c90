"""Compliance and readiness models as pure functions over Polars DataFrames.

Modules: ``evidence`` (which statements count), ``compliance`` (rule-based status and who is
cleared), ``rollup`` (department compliance/readiness, census weights), ``comprehension`` and
``readiness`` (comprehension x retention estimate), ``halflife`` (review walk and calibration),
``forecast`` (30/60/90-day projection, "time to red") and ``settings`` (``ModelSettings``).
No database and no web framework here: the warehouse feeds these functions DataFrames.
See docs/models.md for the rules and the column contract of every output.
"""

from analytics.models.compliance import cleared, compliance_status
from analytics.models.comprehension import click_through, comprehension
from analytics.models.evidence import (
    answered_items,
    certification_evidence,
    evidence,
    unmatched_statements,
)
from analytics.models.forecast import forecast
from analytics.models.halflife import calibrate
from analytics.models.readiness import readiness
from analytics.models.rollup import department_compliance, department_readiness, staff_weights
from analytics.models.settings import ModelSettings

__all__ = [
    "ModelSettings",
    "answered_items",
    "calibrate",
    "certification_evidence",
    "cleared",
    "click_through",
    "compliance_status",
    "comprehension",
    "department_compliance",
    "department_readiness",
    "evidence",
    "forecast",
    "readiness",
    "staff_weights",
    "unmatched_statements",
]
