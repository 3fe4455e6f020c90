"""Safety linkage: funnel plot, harm rate vs lagged readiness gap, near-miss:harm ratio.

Every figure carries the note "Association, not causation" and its method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl
from scipy.stats import poisson

from dashboards.figures.grid import figure
from dashboards.theme import SERIES, base_layout

NOTE = "Association, not causation."


def method_note(method: str, y: float = -0.2) -> dict[str, Any]:
    """The annotation under a panel: the caveat and the method."""
    return {
        "text": f"<i>{NOTE}</i> Method: {method}",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": y,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "font": {"size": 11},
    }


def funnel_limits(pooled_per_1000: float, exposure: np.ndarray, p: float) -> tuple[Any, Any]:
    """Exact Poisson limits (rate per 1,000) at two-sided coverage ``p`` for each exposure."""
    mu = pooled_per_1000 * exposure / 1000
    lo = poisson.ppf((1 - p) / 2, mu) * 1000 / exposure
    hi = poisson.ppf(1 - (1 - p) / 2, mu) * 1000 / exposure
    return lo, hi


def _limit_traces(depts: pl.DataFrame, pooled: float) -> list[dict[str, Any]]:
    days = depts["patient_days"].cast(pl.Float64).to_numpy()
    grid = np.linspace(max(50.0, float(days.min()) * 0.6), float(days.max()) * 1.1, 60)
    out = []
    for p, dash, label in ((0.95, "dash", "95% limit"), (0.998, "dot", "99.8% limit")):
        lo, hi = funnel_limits(pooled, grid, p)
        for k, ys in enumerate((lo, hi)):
            out.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": grid.round(1).tolist(),
                    "y": np.round(ys, 4).tolist(),
                    "name": label,
                    "legendgroup": label,
                    "showlegend": k == 0,
                    "hoverinfo": "skip",
                    "line": {"color": "#444", "dash": dash, "shape": "hv"},
                }
            )
    return out


def funnel(depts: pl.DataFrame) -> go.Figure:
    """Harm ≥ moderate per 1,000 patient-days by department against 95 % and 99.8 % limits.

    ``depts`` columns: department, patient_days, harm_events (12 months).
    """
    total_pd = float(depts["patient_days"].sum() or 0) if depts.height else 0.0
    pooled = float(depts["harm_events"].sum()) * 1000 / total_pd if total_pd else 0.0
    data = _limit_traces(depts, pooled) if depts.height and pooled > 0 else []
    rates = (depts["harm_events"] * 1000 / depts["patient_days"]).to_list() if depts.height else []
    data.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": "Department",
            "x": depts["patient_days"].to_list() if depts.height else [],
            "y": rates,
            "text": depts["department"].to_list() if depts.height else [],
            "textposition": "top center",
            "marker": {"size": 10, "color": SERIES[0], "symbol": "diamond"},
            "customdata": depts["harm_events"].to_list() if depts.height else [],
            "hovertemplate": "%{text}: %{y:.2f} per 1,000 (%{customdata} events, "
            "%{x:,.0f} patient-days)<extra></extra>",
        }
    )
    layout = base_layout("Harm ≥ moderate per 1,000 patient-days, last 12 months", 480)
    layout.update(
        xaxis={"title": {"text": "Patient-days"}},
        yaxis={"title": {"text": "Harm events per 1,000 patient-days"}, "rangemode": "tozero"},
        margin={"l": 60, "r": 20, "t": 60, "b": 130},
        shapes=[
            {
                "type": "line",
                "x0": 0,
                "x1": 1,
                "xref": "paper",
                "y0": pooled,
                "y1": pooled,
                "line": {"color": "#000"},
            }
        ],
        annotations=[
            method_note(
                "funnel plot, exact Poisson limits around the pooled rate "
                f"({pooled:.2f} per 1,000; Spiegelhalter 2005)."
            )
        ],
    )
    return figure(data, layout)


def rate_and_gap(series: pl.DataFrame, lag_months: int, method: str) -> go.Figure:
    """Monthly harm rate (left axis) and readiness gap (right axis), the gap also shifted by lag."""
    x = [d.isoformat() for d in series["month"].to_list()] if series.height else []
    gap = series["readiness_gap"].to_list() if "readiness_gap" in series.columns else []
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": series["harm_rate"].to_list() if series.height else [],
            "name": "Harm ≥ moderate per 1,000 patient-days",
            "line": {"color": SERIES[5]},
            "marker": {"symbol": "circle"},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": gap,
            "yaxis": "y2",
            "name": "Readiness gap (1 - readiness)",
            "line": {"color": SERIES[0]},
            "marker": {"symbol": "square"},
        },
    ]
    shapes: list[dict[str, Any]] = []
    notes = [method_note(f"{method}; pre-specified lag {lag_months} months.")]
    if lag_months and len(x) > lag_months:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": x[lag_months:],
                "y": gap[:-lag_months],
                "yaxis": "y2",
                "line": {"color": SERIES[0], "dash": "dot"},
                "name": f"Readiness gap shifted by the {lag_months}-month lag",
            }
        )
        shapes.append(
            {
                "type": "rect",
                "x0": x[-1 - lag_months],
                "x1": x[-1],
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "fillcolor": "#999",
                "opacity": 0.15,
                "line": {"width": 0},
            }
        )
        notes.append(
            {
                "x": x[-1 - lag_months],
                "y": 1,
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"lag {lag_months} mo",
            }
        )
    layout = base_layout("Harm rate and readiness gap over time", 460)
    layout.update(
        xaxis={"type": "date"},
        yaxis={"title": {"text": "Harm per 1,000 patient-days"}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": "Readiness gap"},
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 60, "r": 60, "t": 100, "b": 120},
        shapes=shapes,
        annotations=notes,
    )
    return figure(data, layout)


def near_miss_ratio(ratio: pl.DataFrame) -> go.Figure:
    """Near misses per harm event by department: a reporting-culture signal, never "less safe"."""
    values = ratio["ratio"].to_list() if ratio.height else []
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "name": "Near-miss : harm",
        "y": ratio["department"].to_list() if ratio.height else [],
        "marker": {"color": SERIES[2]},
        "textposition": "auto",
        "text": ["no harm events" if v is None else f"{v:.1f} : 1" for v in values],
        "customdata": [
            list(t) for t in zip(ratio["near_misses"], ratio["harm_events"], strict=True)
        ]
        if ratio.height
        else [],
        "hovertemplate": "%{y}: %{customdata[0]} near misses, %{customdata[1]} harm events"
        "<extra></extra>",
    }
    layout = base_layout(
        "Near-miss : harm ratio (higher = more open reporting)", 220 + 28 * max(ratio.height, 1)
    )
    layout.update(
        xaxis={"title": {"text": "Near misses per harm event"}},
        yaxis={"autorange": "reversed"},
        margin={"l": 140, "r": 20, "t": 60, "b": 120},
        annotations=[
            method_note(
                "ratio of reported near misses to harm events over 12 months; "
                "a culture indicator (Hutchinson 2009), not a safety score.",
                y=-0.45,
            )
        ],
    )
    return figure([trace], layout)
