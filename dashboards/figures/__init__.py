"""Pure figure functions: Polars DataFrame in, a plain-dict :class:`grid.Fig` out.

No I/O, no Flask, no clock: the same frame always yields the same figure dictionary, which the
unit tests check through ``fig.to_dict()``.
"""

from dashboards.figures.content import activity_quality, item_quality
from dashboards.figures.expiry import burn_down, expiry_cliff
from dashboards.figures.heatmap import heatmap
from dashboards.figures.overview import department_compliance
from dashboards.figures.safety import funnel, near_miss_ratio, rate_and_gap
from dashboards.figures.trends import decomposition, trends

__all__ = [
    "activity_quality",
    "burn_down",
    "decomposition",
    "department_compliance",
    "expiry_cliff",
    "funnel",
    "heatmap",
    "item_quality",
    "near_miss_ratio",
    "rate_and_gap",
    "trends",
]
