"""Comprehension and content quality per course and per item."""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards.figures.grid import Fig, figure, grid, one_column
from dashboards.theme import SERIES, base_layout

LOW_DISCRIMINATION = 0.2
SPECS = (
    ("first_attempt_pass_rate", ".0%", "First-attempt pass rate"),
    ("attempts_to_pass", ".2f", "Attempts to pass"),
    ("click_through_rate", ".0%", "Click-through rate"),
)
ROW_PX = 24
#: characters of a course name on a phone's axis
PHONE_NAME = 16


def _range(col: str, values: list[Any]) -> list[float]:
    """Rates run 0-100 %; attempts to pass from 1 to a little past the largest value."""
    if col != "attempts_to_pass":
        return [0.0, 1.0]
    top = max((v for v in values if v is not None), default=2.0)
    return [1.0, max(2.0, top * 1.1)]


def _pass_interval(activities: pl.DataFrame, values: list[Any]) -> dict[str, Any]:
    """The pass-rate bars' Wilson 95 % whiskers; the value sits inside the bar, clear of them."""
    lo, hi = activities["pass_lo"].to_list(), activities["pass_hi"].to_list()

    def gap(a: Any, b: Any) -> float | None:
        return None if a is None or b is None else max(0.0, a - b)

    return {
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [gap(h, v) for v, h in zip(values, hi, strict=True)],
            "arrayminus": [gap(v, low) for v, low in zip(values, lo, strict=True)],
            "color": "#333",
            "thickness": 1.5,
            "width": 4,
        },
        "textposition": "inside",
        "insidetextanchor": "start",
        "customdata": [
            [n, "—" if a is None else f"{a:.0%} to {b:.0%}"]
            for n, a, b in zip(activities["n_learners"].to_list(), lo, hi, strict=True)
        ],
        "hovertemplate": "%{y}: %{x:.0%} (95% CI %{customdata[1]}; n=%{customdata[0]} "
        "learners)<extra></extra>",
    }


def activity_quality(activities: pl.DataFrame) -> Fig:
    """One named row per course: first-attempt pass rate (with its Wilson 95 % interval when
    ``pass_lo``/``pass_hi`` are given), attempts to pass, click-through rate.

    ``activities`` columns: name (display label, one per row), activity_id, n_learners and the
    three measures; rows keep their order (the page sorts the weakest pass rate first).
    """
    names = activities["name"].to_list() if "name" in activities.columns else []
    titles = [s[2] for s in SPECS]
    layout, ids = grid(3, 3, titles, hgap=0.04)
    data: list[dict[str, Any]] = []
    for k, (col, fmt, title) in enumerate(SPECS):
        values = activities[col].to_list() if col in activities.columns else [None] * len(names)
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
                "textposition": "outside",
                "cliponaxis": False,
                "text": [("—" if v is None else format(v, fmt)) for v in values],
                "customdata": activities["n_learners"].to_list(),
                "hovertemplate": f"%{{y}}: %{{x:{fmt}}} (n=%{{customdata}} learners)"
                "<extra></extra>",
            }
        )
        if k == 0 and {"pass_lo", "pass_hi"} <= set(activities.columns):
            data[-1].update(_pass_interval(activities, values))
        suffix = "" if k == 0 else str(k + 1)
        layout[f"xaxis{suffix}"].update(
            range=_range(col, values), tickformat=".0%" if fmt == ".0%" else ".1f"
        )
        layout[f"yaxis{suffix}"].update(
            type="category", autorange="reversed", automargin=True, showticklabels=k == 0
        )
    height = 110 + ROW_PX * max(len(names), 1)
    narrow = one_column(3, titles, ROW_PX * max(len(names), 1) + 10)
    short = [n if len(n) <= PHONE_NAME else n[: PHONE_NAME - 1].rstrip() + "…" for n in names]
    for k in range(3):
        suffix = "" if k == 0 else str(k + 1)
        # a phone keeps ~60 % of the width for the bars: long course names are cut (full name
        # in the hover and the table)
        narrow[f"yaxis{suffix}"].update(showticklabels=True, tickvals=names, ticktext=short)
    base = base_layout("Courses, weakest first-attempt pass rate first", height)
    base.update(
        layout,
        bargap=0.25,
        margin={"l": 20, "r": 46, "t": 70, "b": 40},
        meta={"narrow": {**narrow, "margin": {"l": 10, "r": 46}}},
    )
    return figure(data, base)


def item_quality(items: pl.DataFrame) -> Fig:
    """Item difficulty (share correct) vs discrimination; weak discriminators marked ✕."""
    weak = [d is not None and d < LOW_DISCRIMINATION for d in items["discrimination"].to_list()]
    course = items["activity"] if "activity" in items.columns else items["activity_id"]
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
                course.to_list(),
                [str(i).rstrip("/").rsplit("/", 1)[-1] for i in items["item_id"]],
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
        meta={"narrow": {"margin": {"l": 50, "r": 10}}},
    )
    return figure([trace], layout)
