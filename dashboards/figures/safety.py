"""Safety linkage: funnel plot, harm rate vs lagged readiness gap, near-miss:harm ratio.

Every figure carries the note "Association, not causation" and its method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from scipy.stats import poisson

from dashboards.figures.grid import Fig, figure
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


OUTSIDE = (
    ("above the 99.8% limit", SERIES[5], "triangle-up", 0.998),
    ("above the 95% limit", SERIES[1], "square", 0.95),
)


def funnel_status(depts: pl.DataFrame, pooled: float) -> list[str]:
    """Per department: "above the 99.8% limit", "above the 95% limit" or "within limits"."""
    if not depts.height or pooled <= 0:
        return ["within limits"] * depts.height
    days = depts["patient_days"].cast(pl.Float64).to_numpy()
    out = []
    rates = (depts["harm_events"] * 1000 / depts["patient_days"]).to_list()
    highs = {p: funnel_limits(pooled, days, p)[1] for _, _, _, p in OUTSIDE}
    for k, rate in enumerate(rates):
        status = "within limits"
        for label, _, _, p in OUTSIDE:
            if rate is not None and rate >= highs[p][k]:
                status = label
                break
        out.append(status)
    return out


def funnel(depts: pl.DataFrame) -> Fig:
    """Harm ≥ moderate per 1,000 patient-days by department against 95 % and 99.8 % limits.

    Departments at or above an upper limit get their own colour, marker and name label (the
    others are named on hover only, so labels never pile up). ``depts`` columns: department,
    patient_days, harm_events (12 months; suppressed counts are left out by the page).
    """
    depts = depts.filter(pl.col("harm_events").is_not_null()) if depts.height else depts
    total_pd = float(depts["patient_days"].sum() or 0) if depts.height else 0.0
    pooled = float(depts["harm_events"].sum()) * 1000 / total_pd if total_pd else 0.0
    data = _limit_traces(depts, pooled) if depts.height and pooled > 0 else []
    status = funnel_status(depts, pooled)
    groups = [*OUTSIDE, ("within limits", SERIES[0], "diamond", 0.0)]
    for label, colour, symbol, _ in groups:
        g = depts.filter(pl.Series([s == label for s in status], dtype=pl.Boolean))
        outside = label != "within limits"
        data.append(
            {
                "type": "scatter",
                "mode": "markers+text" if outside else "markers",
                "name": f"Department {label}",
                "x": g["patient_days"].to_list() if g.height else [],
                "y": (g["harm_events"] * 1000 / g["patient_days"]).to_list() if g.height else [],
                "text": g["department"].to_list() if g.height else [],
                "textposition": "middle right",
                "cliponaxis": False,
                "marker": {"size": 12 if outside else 9, "color": colour, "symbol": symbol},
                "customdata": g["harm_events"].to_list() if g.height else [],
                "hovertemplate": "%{text}: %{y:.2f} per 1,000 (%{customdata} events, "
                f"%{{x:,.0f}} patient-days) — {label}<extra></extra>",
            }
        )
    layout = base_layout("Harm ≥ moderate per 1,000 patient-days, last 12 months", 500)
    layout.update(
        xaxis={"title": {"text": "Patient-days"}},
        yaxis={"title": {"text": "Harm events per 1,000 patient-days"}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0},
        margin={"l": 60, "r": 90, "t": 60, "b": 170},
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
                f"({pooled:.2f} per 1,000; Spiegelhalter 2005).",
                y=-0.42,
            )
        ],
        # narrow: a taller plot so the legend (y -0.18 of it) clears the x-axis title
        meta={"narrow": {"margin": {"l": 50, "r": 20, "b": 230}, "height": 640}},
    )
    return figure(data, layout)


def rate_and_gap(series: pl.DataFrame, lag_months: int, method: str) -> Fig:
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
        # narrow: the legend wraps to three lines, so it goes to the figure's foot (above the
        # plot it covered the wrapped title)
        meta={
            "narrow": {
                "legend": {"yref": "container", "y": 0, "yanchor": "bottom"},
                "margin": {"l": 50, "r": 50, "t": 70, "b": 200},
                "height": 580,
            }
        },
    )
    return figure(data, layout)


def near_miss_ratio(ratio: pl.DataFrame) -> Fig:
    """Near misses per harm event by department: a reporting-culture signal, never "less safe"."""
    values = [0 if v is None else v for v in ratio["ratio"].to_list()] if ratio.height else []
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "name": "Near-miss : harm",
        "y": ratio["department"].to_list() if ratio.height else [],
        "marker": {"color": SERIES[2]},
        "textposition": "outside",
        "cliponaxis": False,
        "text": [_ratio_text(row) for row in ratio.iter_rows(named=True)] if ratio.height else [],
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
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 20, "r": 120, "t": 60, "b": 120},
        annotations=[
            method_note(
                "ratio of reported near misses to harm events over 12 months; "
                "a culture indicator (Hutchinson 2009), not a safety score.",
                y=-0.45,
            )
        ],
    )
    return figure([trace], layout)


def _ratio_text(row: dict[str, Any]) -> str:
    """The bar's label: the ratio, or why there is none (suppressed counts, no harm events)."""
    if row.get("near_misses") is None or row.get("harm_events") is None:
        return "hidden: a count under 11"
    if not row.get("harm_events"):
        return "no harm events"
    ratio = row.get("ratio")
    return "—" if ratio is None else f"{ratio:.1f} : 1"
