"""Expiry cliff (next 90 days by week and department) and protocol-change burn-down."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from dashboards.figures.grid import Fig, figure
from dashboards.theme import SERIES, base_layout

PATTERNS = ("", "/", "\\", "x", "-", "|", "+", ".")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "pentagon")


TOP = 5
GREY_LINE = "#b0b0b0"


def _top_departments(frame: pl.DataFrame, by: str, n: int = TOP) -> list[str]:
    totals = (
        frame.group_by("department")
        .agg(pl.col(by).sum())
        .sort([by, "department"], descending=[True, False])
    )
    return totals["department"].head(n).to_list()


def expiry_cliff(cliff: pl.DataFrame) -> Fig:
    """Weekly expiring credentials: the five departments with the most, the rest as one grey bar.

    Five hatched colours stay distinguishable; eighteen do not.
    """
    top = _top_departments(cliff, "expiring") if cliff.height else []
    if cliff.height:
        cliff = (
            cliff.with_columns(
                department=pl.when(pl.col("department").is_in(top))
                .then(pl.col("department"))
                .otherwise(pl.lit("Other departments"))
            )
            .group_by("week", "department")
            .agg(pl.col("expiring").sum())
        )
    groups = [*top, "Other departments"] if cliff.height else []
    data = []
    for k, dept in enumerate(groups):
        g = cliff.filter(pl.col("department") == dept).sort("week")
        if g.is_empty():
            continue
        other = dept == "Other departments"
        data.append(
            {
                "type": "bar",
                "name": dept,
                "x": [d.isoformat() for d in g["week"].to_list()],
                "y": g["expiring"].to_list(),
                "marker": {
                    "color": GREY_LINE if other else SERIES[k % len(SERIES)],
                    "pattern": {"shape": "" if other else PATTERNS[k % len(PATTERNS)]},
                },
                "hovertemplate": f"{dept}<br>week of %{{x|%Y-%m-%d}}: %{{y}} expiring"
                "<extra></extra>",
            }
        )
    layout = base_layout("Credentials expiring per week, next 90 days (top five departments)", 440)
    layout.update(
        barmode="stack",
        xaxis={"title": {"text": "Week starting"}, "type": "date"},
        yaxis={"title": {"text": "Expiring credentials"}},
        legend={"orientation": "h", "y": -0.25, "yanchor": "top", "x": 0},
        margin={"l": 60, "r": 20, "t": 60, "b": 120},
        meta={
            "narrow": {
                "height": 520,
                "margin": {"l": 50, "r": 8, "b": 190},
                "title": {"text": "Expiring per week, next 90 days"},
            }
        },
    )
    return figure(data, layout)


def _pooled(curve: pl.DataFrame) -> pl.DataFrame:
    return (
        curve.group_by("day")
        .agg(
            share=(pl.col("share") * pl.col("required")).sum() / pl.col("required").sum(),
            required=pl.col("required").sum(),
        )
        .sort("day")
    )


def _behind(curve: pl.DataFrame, n: int = 3) -> list[str]:
    """The departments furthest behind at the latest day (lowest share retrained)."""
    last = curve.filter(pl.col("day") == pl.col("day").max())
    return last.sort(["share", "department"])["department"].head(n).to_list()


def _line(g: pl.DataFrame, name: str, style: dict[str, Any], legend: bool) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": [d.isoformat() for d in g["day"].to_list()],
        "y": g["share"].to_list(),
        "line": style,
        "showlegend": legend,
        "legendgroup": name if legend else "others",
        "customdata": g["required"].to_list(),
        "hovertemplate": f"{name}<br>%{{x|%Y-%m-%d}}: %{{y:.0%}} of %{{customdata}} retrained"
        "<extra></extra>",
    }


def burn_down(
    curve: pl.DataFrame, competency: str, change_date: dt.date, due_date: dt.date | None
) -> Fig:
    """Share of required staff retrained since a protocol change: the hospital line, the three
    departments furthest behind in colour, every other department as a thin grey line.

    ``due_date`` None (or equal to the change date: no retraining window was set) draws no
    due line. ``curve`` columns: department, day, share, required (one protocol change only).
    """
    behind = _behind(curve) if curve.height else []
    depts = sorted(curve["department"].unique().to_list()) if curve.height else []
    data: list[dict[str, Any]] = []
    for dept in depts:
        if dept not in behind:
            g = curve.filter(pl.col("department") == dept).sort("day")
            data.append(_line(g, dept, {"color": GREY_LINE, "width": 1}, False))
    for k, dept in enumerate(behind):
        g = curve.filter(pl.col("department") == dept).sort("day")
        style = {"color": SERIES[(k + 1) % len(SERIES)], "width": 2.5, "dash": DASHES[k + 1]}
        data.append(_line(g, f"{dept} (behind)", style, True))
    if curve.height:
        data.append(_line(_pooled(curve), "Hospital", {"color": "#000000", "width": 3.5}, True))
        data[0]["showlegend"] = len(depts) > len(behind)
        data[0]["name"] = "Other departments" if data[0]["showlegend"] else data[0]["name"]
    has_due = due_date is not None and due_date > change_date
    layout = base_layout(f"{competency}: retrained since the change of {change_date:%Y-%m-%d}", 400)
    shapes: list[dict[str, Any]] = [
        {
            "type": "line",
            "x0": 0,
            "x1": 1,
            "xref": "paper",
            "y0": 1,
            "y1": 1,
            "line": {"dash": "dot", "color": "#777"},
        },
    ]
    notes: list[dict[str, Any]] = []
    if has_due and due_date is not None:
        due = due_date.isoformat()
        shapes.append(
            {
                "type": "line",
                "x0": due,
                "x1": due,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"dash": "dash", "color": "#000"},
            }
        )
        notes.append(
            {"x": due, "y": 1.06, "text": f"due {due}", "showarrow": False, "xanchor": "right"}
        )
    layout.update(
        yaxis={
            "range": [0, 1.1],
            "tickformat": ".0%",
            "title": {"text": "Required staff retrained"},
        },
        xaxis={"title": {"text": "Date"}, "type": "date"},
        legend={"orientation": "h", "y": -0.25, "yanchor": "top", "x": 0},
        margin={"l": 60, "r": 20, "t": 60, "b": 110},
        shapes=shapes,
        annotations=notes,
        meta={
            "narrow": {
                "height": 470,
                "margin": {"l": 50, "r": 8, "b": 170},
                "title": {"text": competency, "font": {"size": 14}},
            }
        },
    )
    return figure(data, layout)
