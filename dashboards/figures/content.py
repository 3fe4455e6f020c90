"""Comprehension and content quality per activity and per item."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboards.figures.grid import figure, grid
from dashboards.theme import SERIES, base_layout

LOW_DISCRIMINATION = 0.2
SPECS = (
    ("first_attempt_pass_rate", ".0%", "First-attempt pass rate"),
    ("attempts_to_pass", ".2f", "Attempts to pass"),
    ("click_through_rate", ".0%", "Click-through rate"),
)


def _short(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1] or iri


def activity_quality(activities: pl.DataFrame) -> go.Figure:
    """Per activity: first-attempt pass rate, attempts to pass and click-through rate."""
    names = [_short(a) for a in activities["activity_id"].to_list()]
    layout, ids = grid(3, 3, [s[2] for s in SPECS], hgap=0.04)
    data: list[dict[str, Any]] = []
    for k, (col, fmt, title) in enumerate(SPECS):
        values = activities[col].to_list()
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": names,
                "name": title,
                "xaxis": ids[k][0],
                "yaxis": ids[k][1],
                "marker": {"color": SERIES[k]},
                "showlegend": False,
                "textposition": "auto",
                "text": [("—" if v is None else format(v, fmt)) for v in values],
                "customdata": activities["n_learners"].to_list(),
                "hovertemplate": f"%{{y}}: %{{x:{fmt}}} (n=%{{customdata}})<extra></extra>",
            }
        )
    layout["xaxis"].update(tickformat=".0%", range=[0, 1])
    layout["xaxis3"].update(tickformat=".0%")
    for suffix in ("2", "3"):
        layout[f"yaxis{suffix}"].update(matches="y", showticklabels=False)
    base = base_layout("Activities", 180 + 32 * max(activities.height, 1))
    base.update(layout, margin={"l": 160, "r": 20, "t": 70, "b": 40})
    return figure(data, base)


def item_quality(items: pl.DataFrame) -> go.Figure:
    """Item difficulty (share correct) vs discrimination; weak discriminators marked ✕."""
    weak = [d is not None and d < LOW_DISCRIMINATION for d in items["discrimination"].to_list()]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "Items",
        "x": items["difficulty"].to_list(),
        "y": items["discrimination"].to_list(),
        "marker": {
            "size": 10,
            "color": [SERIES[5] if w else SERIES[0] for w in weak],
            "symbol": ["x" if w else "circle" for w in weak],
        },
        "customdata": [
            list(t)
            for t in zip(
                [_short(a) for a in items["activity_id"]],
                [_short(i) for i in items["item_id"]],
                items["n"],
                strict=True,
            )
        ],
        "hovertemplate": "%{customdata[0]} · %{customdata[1]}<br>difficulty %{x:.2f}, "
        "discrimination %{y:.2f} (n=%{customdata[2]})<extra></extra>",
    }
    layout = base_layout("Items: difficulty vs discrimination (✕ = review)", 420)
    layout.update(
        xaxis={"title": {"text": "Difficulty (share answering correctly)"}, "range": [0, 1]},
        yaxis={"title": {"text": "Discrimination (point-biserial)"}},
        shapes=[
            {
                "type": "line",
                "x0": 0,
                "x1": 1,
                "xref": "paper",
                "y0": LOW_DISCRIMINATION,
                "y1": LOW_DISCRIMINATION,
                "line": {"dash": "dash", "color": "#000"},
            }
        ],
        annotations=[
            {
                "x": 1,
                "xref": "paper",
                "xanchor": "right",
                "y": LOW_DISCRIMINATION,
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"review below {LOW_DISCRIMINATION}",
            }
        ],
    )
    return figure([trace], layout)
