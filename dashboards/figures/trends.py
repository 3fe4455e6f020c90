"""Department drill-down: per-competency trends with EWMA limits, and drop decompositions."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboards.figures.grid import figure, grid
from dashboards.theme import FLAG_MARKERS, SERIES, base_layout

COLUMNS = 3
PARTS = (
    ("expiries", "Expiries"),
    ("failed_assessments", "Failed assessments"),
    ("new_hires_onboarding", "New hires onboarding"),
    ("protocol_invalidation", "Protocol invalidation"),
    ("turnover", "Turnover"),
)
PATTERNS = ("", "/", "x", ".", "\\")
SIGNALS = ("PRIORITY", "DECLINING", "LOW", "UPDATE_IN_PROGRESS")


def _series(g: pl.DataFrame, axes: tuple[str, str], first: bool, seen: set[str]) -> list[Any]:
    x = [d.isoformat() for d in g["month"].to_list()]
    on = {"xaxis": axes[0], "yaxis": axes[1]}
    out: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": x + x[::-1],
            **on,
            "fill": "toself",
            "name": "95% interval",
            "y": g["compliance_hi"].to_list() + g["compliance_lo"].to_list()[::-1],
            "fillcolor": "rgba(0,114,178,0.15)",
            "line": {"width": 0},
            "hoverinfo": "skip",
            "legendgroup": "band",
            "showlegend": first,
        },
        {
            "type": "scatter",
            "x": x,
            "y": g["compliance_shrunk"].to_list(),
            **on,
            "mode": "lines+markers",
            "line": {"color": SERIES[0]},
            "name": "Compliance (shrunken)",
            "customdata": g["n_required"].to_list(),
            "legendgroup": "rate",
            "showlegend": first,
            "hovertemplate": "%{x|%Y-%m}: %{y:.0%} (n=%{customdata})<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": g["ewma"].to_list(),
            **on,
            "mode": "lines",
            "line": {"color": SERIES[1], "dash": "dash"},
            "name": "EWMA",
            "legendgroup": "ewma",
            "showlegend": first,
        },
        {
            "type": "scatter",
            "x": x,
            "y": g["ewma_lcl"].to_list(),
            **on,
            "mode": "lines",
            "line": {"color": "#000", "dash": "dot"},
            "name": "EWMA lower limit",
            "legendgroup": "lcl",
            "showlegend": first,
        },
    ]
    for flag in SIGNALS:
        pts = g.filter(pl.col("flag") == flag)
        if pts.is_empty():
            continue
        symbol, colour, label, _ = FLAG_MARKERS[flag]
        out.append(
            {
                "type": "scatter",
                "mode": "markers",
                **on,
                "x": [d.isoformat() for d in pts["month"].to_list()],
                "y": pts["compliance_shrunk"].to_list(),
                "marker": {"symbol": symbol, "size": 13, "color": colour},
                "name": f"{label} — {flag.replace('_', ' ').lower()}",
                "legendgroup": flag,
                "showlegend": flag not in seen,
            }
        )
        seen.add(flag)
    return out


def trends(series: pl.DataFrame) -> go.Figure:
    """Small multiples, one per competency: shrunken compliance, interval, EWMA and its limit.

    ``series`` columns: competency_id, competency, month, n_required, compliance_shrunk,
    compliance_lo, compliance_hi, ewma, ewma_lcl, flag.
    """
    names = series["competency"].unique(maintain_order=True).to_list() if series.height else []
    rows = max(1, -(-len(names) // COLUMNS))
    layout, ids = grid(len(names), COLUMNS, names, vgap=0.18 / rows)
    data: list[dict[str, Any]] = []
    seen: set[str] = set()
    for k, name in enumerate(names):
        g = series.filter(pl.col("competency") == name).sort("month")
        data.extend(_series(g, ids[k], k == 0, seen))
        suffix = ids[k][1][1:]
        layout[f"yaxis{suffix}"].update(range=[0, 1.05], tickformat=".0%")
        layout[f"xaxis{suffix}"].update(type="date", tickformat="%b %y")
    base = base_layout(
        "Compliance trend per competency, with EWMA limits and flags", 180 + 240 * rows
    )
    base.update(
        layout,
        legend={"orientation": "h", "y": -0.04, "yanchor": "top", "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 80},
    )
    return figure(data, base)


def decomposition(drops: pl.DataFrame) -> go.Figure:
    """Stacked bars: what each flagged drop is made of (expiries, failures, …); hatched parts."""
    if drops.is_empty():
        return figure([], base_layout("No flagged drop this month", 160))
    names = [
        f"{c} ({f.replace('_', ' ').lower()})"
        for c, f in zip(drops["competency"], drops["flag"], strict=True)
    ]
    data = []
    for (key, label), pattern, colour in zip(PARTS, PATTERNS, SERIES, strict=False):
        values = drops[key].to_list() if key in drops.columns else [None] * drops.height
        data.append(
            {
                "type": "bar",
                "y": names,
                "x": values,
                "name": label,
                "orientation": "h",
                "marker": {"color": colour, "pattern": {"shape": pattern}},
                "hovertemplate": f"{label}: %{{x:.2f}}<extra>%{{y}}</extra>",
            }
        )
    layout = base_layout("Decomposition of each flagged drop", 200 + 40 * drops.height)
    layout.update(
        barmode="stack",
        xaxis={"title": {"text": "Contribution to the drop"}},
        yaxis={"autorange": "reversed"},
        margin={"l": 280, "r": 20, "t": 60, "b": 90},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
    )
    return figure(data, layout)
