"""Overview: department compliance as a dot plot with 95 % intervals against the target."""

from __future__ import annotations

import math

import polars as pl

from dashboards.figures.grid import Fig, figure
from dashboards.theme import SERIES, base_layout


def target_line(x: float, label: str) -> tuple[dict[str, object], dict[str, object]]:
    """A dashed vertical line at ``x`` across the plot, with its label on top."""
    shape = {
        "type": "line",
        "x0": x,
        "x1": x,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "paper",
        "line": {"dash": "dash", "color": "#000"},
    }
    note = {
        "x": x,
        "xref": "x",
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "text": label,
        "showarrow": False,
    }
    return shape, note


def department_compliance(depts: pl.DataFrame, target: float = 0.9) -> Fig:
    """Dot plot: compliance per department with its Wilson interval; below-target as open dots;
    the lowest department first.

    ``depts`` columns: name, service_line, n_required, n_compliant, compliance, lo, hi, weakest.
    """
    depts = depts.sort("compliance", "name", nulls_last=True)  # lowest first, at the top
    below = [(c is not None and c < target) for c in depts["compliance"].to_list()]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "Compliance (95% Wilson interval)",
        "x": depts["compliance"].to_list(),
        "y": _labels(depts),
        "marker": {
            "size": 11,
            "color": SERIES[0],
            "line": {"width": 2, "color": SERIES[0]},
            "symbol": ["circle-open" if b else "circle" for b in below],
        },
        "error_x": {
            "type": "data",
            "symmetric": False,
            "color": "#555",
            "array": (depts["hi"] - depts["compliance"]).to_list(),
            "arrayminus": (depts["compliance"] - depts["lo"]).to_list(),
        },
        "customdata": [
            list(t)
            for t in zip(
                depts["n_compliant"],
                depts["n_required"],
                depts["weakest"],
                depts["service_line"],
                strict=True,
            )
        ],
        "hovertemplate": "%{y} (%{customdata[3]})<br>compliance %{x:.0%} "
        "(%{customdata[0]}/%{customdata[1]})<br>lowest: %{customdata[2]}<extra></extra>",
    }
    shape, note = target_line(target, f"target {target:.0%}")
    low = zoom_floor([*depts["lo"].to_list(), *depts["compliance"].to_list(), target])
    title = "Compliance by department (open dot = below target)"
    if low > 0:
        title += f" — axis starts at {low:.0%}"
    layout = base_layout(title, 200 + 26 * max(depts.height, 1))
    layout.update(
        xaxis={"range": [low, 1.005], "tickformat": ".0%", "title": {"text": "Compliance"}},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 20, "r": 20, "t": 60, "b": 50},
        showlegend=False,
        shapes=[shape],
        annotations=[note],
        meta={
            "narrow": {
                "title": {"text": "Compliance by department", "font": {"size": 14}},
                "margin": {"l": 4, "r": 12},
            }
        },
    )
    return figure([trace], layout)


def _labels(depts: pl.DataFrame) -> list[str]:
    """Department names (the service line is in the hover and the table)."""
    return [str(n) for n in depts["name"].to_list()]


def zoom_floor(values: list[float | None], step: float = 0.05) -> float:
    """The axis start that shows the differences: just below the lowest value, on a 5 % step.

    Rates that all sit at 92-100 % get an axis from 90 %, not from 0 % (ignores None/NaN).
    """
    finite = [v for v in values if v is not None and v == v]
    if not finite:
        return 0.0
    low = min(finite) - step / 2
    return max(0.0, math.floor(low / step) * step)
