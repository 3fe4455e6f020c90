"""Expiry cliff (next 90 days by week and department) and protocol-change burn-down."""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboards.figures.grid import figure
from dashboards.theme import SERIES, base_layout

PATTERNS = ("", "/", "\\", "x", "-", "|", "+", ".")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "pentagon")


def expiry_cliff(cliff: pl.DataFrame) -> go.Figure:
    """Stacked weekly bars of expiring credentials, one hatched colour per department."""
    depts = sorted(cliff["department"].unique().to_list()) if cliff.height else []
    data = []
    for k, dept in enumerate(depts):
        g = cliff.filter(pl.col("department") == dept)
        data.append(
            {
                "type": "bar",
                "name": dept,
                "x": [d.isoformat() for d in g["week"].to_list()],
                "y": g["expiring"].to_list(),
                "marker": {
                    "color": SERIES[k % len(SERIES)],
                    "pattern": {"shape": PATTERNS[k % len(PATTERNS)]},
                },
                "hovertemplate": f"{dept}<br>week of %{{x|%Y-%m-%d}}: %{{y}} expiring"
                "<extra></extra>",
            }
        )
    layout = base_layout("Credentials expiring per week, next 90 days", 440)
    layout.update(
        barmode="stack",
        xaxis={"title": {"text": "Week starting"}, "type": "date"},
        yaxis={"title": {"text": "Expiring credentials"}},
    )
    return figure(data, layout)


def burn_down(
    curve: pl.DataFrame, competency: str, change_date: dt.date, due_date: dt.date
) -> go.Figure:
    """Share of required staff retrained since a protocol change, per department, vs its due date.

    ``curve`` columns: department, day, share, required (one protocol change only).
    """
    depts = sorted(curve["department"].unique().to_list()) if curve.height else []
    data: list[dict[str, Any]] = []
    for k, dept in enumerate(depts):
        g = curve.filter(pl.col("department") == dept).sort("day")
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": dept,
                "x": [d.isoformat() for d in g["day"].to_list()],
                "y": g["share"].to_list(),
                "line": {"color": SERIES[k % len(SERIES)], "dash": DASHES[k % len(DASHES)]},
                "marker": {"symbol": SYMBOLS[k % len(SYMBOLS)]},
                "customdata": g["required"].to_list(),
                "hovertemplate": f"{dept}<br>%{{x|%Y-%m-%d}}: %{{y:.0%}} of %{{customdata}} "
                "retrained"
                "<extra></extra>",
            }
        )
    due = due_date.isoformat()
    layout = base_layout(f"{competency}: retrained since the change of {change_date:%Y-%m-%d}", 380)
    layout.update(
        yaxis={
            "range": [0, 1.1],
            "tickformat": ".0%",
            "title": {"text": "Required staff retrained"},
        },
        xaxis={"title": {"text": "Date"}, "type": "date"},
        shapes=[
            {
                "type": "line",
                "x0": due,
                "x1": due,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"dash": "dash", "color": "#000"},
            },
            {
                "type": "line",
                "x0": 0,
                "x1": 1,
                "xref": "paper",
                "y0": 1,
                "y1": 1,
                "line": {"dash": "dot", "color": "#777"},
            },
        ],
        annotations=[
            {"x": due, "y": 1.06, "text": f"due {due}", "showarrow": False, "xanchor": "right"}
        ],
    )
    return figure(data, layout)
