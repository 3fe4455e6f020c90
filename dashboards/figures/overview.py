"""Overview: department compliance as a dot plot with 95 % intervals against the target."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.figures.grid import figure
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


def department_compliance(depts: pl.DataFrame, target: float = 0.9) -> go.Figure:
    """Dot plot: compliance per department with its Wilson interval; below-target as open dots.

    ``depts`` columns: name, service_line, n_required, n_compliant, compliance, lo, hi, weakest.
    """
    below = [(c is not None and c < target) for c in depts["compliance"].to_list()]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "Compliance (95% Wilson interval)",
        "x": depts["compliance"].to_list(),
        "y": [f"{n} ({s})" for n, s in zip(depts["name"], depts["service_line"], strict=True)],
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
            for t in zip(depts["n_compliant"], depts["n_required"], depts["weakest"], strict=True)
        ],
        "hovertemplate": "%{y}<br>compliance %{x:.0%} (%{customdata[0]}/%{customdata[1]})"
        "<br>weakest: %{customdata[2]}<extra></extra>",
    }
    shape, note = target_line(target, f"target {target:.0%}")
    layout = base_layout(
        "Compliance by department (open dot = below target)", 200 + 26 * max(depts.height, 1)
    )
    layout.update(
        xaxis={"range": [0, 1.02], "tickformat": ".0%", "title": {"text": "Compliance"}},
        yaxis={"autorange": "reversed"},
        margin={"l": 220, "r": 20, "t": 60, "b": 50},
        showlegend=False,
        shapes=[shape],
        annotations=[note],
    )
    return figure([trace], layout)
