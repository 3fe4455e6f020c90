"""Department drill-down: per-competency trends with EWMA limits, and drop decompositions."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from dashboards.figures.grid import Fig, figure, grid, one_column
from dashboards.figures.heatmap import wrap
from dashboards.figures.overview import zoom_floor
from dashboards.theme import FLAG_MARKERS, SERIES, base_layout

COLUMNS = 3
PARTS = (
    ("expiries", "Expiries"),
    ("failed_assessments", "Failed assessments"),
    ("new_hires_onboarding", "New hires onboarding"),
    ("protocol_invalidation", "Protocol invalidation"),
    ("turnover", "Turnover"),
    ("never_passed_overdue", "Never passed (overdue)"),
)
PATTERNS = ("", "/", "x", ".", "\\", "-")
SIGNALS = ("PRIORITY", "DECLINING", "LOW", "UPDATE_IN_PROGRESS")


LIMITS = {"low_limit": "Low limit (99.8% funnel)", "ewma_lcl": "EWMA lower limit"}


def limit_column(series: pl.DataFrame) -> str:
    """The lower limit to draw: the flags' LOW funnel limit when the model writes one, else the
    EWMA lower control limit (older models)."""
    if "low_limit" in series.columns and series["low_limit"].null_count() < series.height:
        return "low_limit"
    return "ewma_lcl"


def _series(g: pl.DataFrame, axes: tuple[str, str], first: bool, seen: set[str]) -> list[Any]:
    x = [d.isoformat() for d in g["month"].to_list()]
    limit = limit_column(g)
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
            "y": g[limit].to_list(),
            **on,
            "mode": "lines",
            "line": {"color": "#000", "dash": "dot"},
            "name": LIMITS[limit],
            "legendgroup": limit,
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


RANK = {"PRIORITY": 0, "DECLINING": 1, "LOW": 2, "UPDATE_IN_PROGRESS": 3}


def panel_order(series: pl.DataFrame) -> list[tuple[str, str]]:
    """(competency, latest flag) per panel: flagged first (Priority, Declining, Low, Update),
    then the lowest latest compliance; the order a quality leader reads them in."""
    if series.is_empty():
        return []
    latest = (
        series.sort("month")
        .group_by("competency", maintain_order=True)
        .agg(pl.col("flag").last(), pl.col("compliance_shrunk").last())
    )
    rows = [(str(c), str(f or "OK"), v) for c, f, v in latest.iter_rows()]
    rows.sort(key=lambda t: (RANK.get(t[1], 9), t[2] if t[2] is not None else 1.0, t[0]))
    return [(c, f) for c, f, _ in rows]


def trends(series: pl.DataFrame) -> Fig:
    """Small multiples, one per competency: shrunken compliance, interval, EWMA and its limit.

    Flagged competencies come first and their titles say the flag; every panel shares one
    y-range zoomed to the data (not 0-100 %), so the differences show.
    ``series`` columns: competency_id, competency, month, n_required, compliance_shrunk,
    compliance_lo, compliance_hi, ewma, ewma_lcl, flag.
    """
    order = panel_order(series)
    titles = [f"{c} — {FLAG_MARKERS[f][3].split(':')[0]}" if f in RANK else c for c, f in order]
    rows = max(1, -(-len(order) // COLUMNS))
    layout, ids = grid(len(order), COLUMNS, titles, vgap=0.18 / rows)
    narrow = one_column(len(order), titles, 170) if order else {}
    low = (
        zoom_floor([*series["compliance_lo"].to_list(), *series[limit_column(series)].to_list()])
        if series.height
        else 0.0
    )
    data: list[dict[str, Any]] = []
    seen: set[str] = set()
    for k, (name, _) in enumerate(order):
        g = series.filter(pl.col("competency") == name).sort("month")
        data.extend(_series(g, ids[k], k == 0, seen))
        suffix = ids[k][1][1:]
        layout[f"yaxis{suffix}"].update(range=[low, 1.01], tickformat=".0%")
        layout[f"xaxis{suffix}"].update(type="date", tickformat="%b %y")
    title = "Compliance trend per competency, flagged first"
    if low > 0:
        title += f" (axes start at {low:.0%})"
    base = base_layout(title, 180 + 240 * rows)
    base.update(
        layout,
        legend={"orientation": "h", "y": -0.04, "yanchor": "top", "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 80},
        meta={
            "narrow": {
                **narrow,
                "margin": {"l": 44, "r": 8, "b": 120},
                "title": {"text": "Trends, flagged first", "font": {"size": 13}},
                "legend": {"yref": "container", "y": 0, "yanchor": "bottom"},
            }
        },
    )
    return figure(data, base)


def _largest(drops: pl.DataFrame, parts: list[str]) -> float:
    totals = drops.select(pl.sum_horizontal([pl.col(k).fill_null(0) for k in parts]))
    top = totals.to_series().max()
    return float(top) if isinstance(top, int | float) and top > 0 else 1.0


def decomposition(drops: pl.DataFrame) -> Fig:
    """Stacked bars: what each flagged drop is made of (expiries, failures, …); hatched parts."""
    parts = [k for k, _ in PARTS if k in drops.columns]
    if parts:  # only real drops with something to show (not "insufficient data" cells)
        drops = drops.filter(
            (pl.sum_horizontal([pl.col(k).fill_null(0) for k in parts]) > 0)
            & (pl.col("flag") != "INSUFFICIENT_DATA")
        )
    if drops.is_empty() or not parts:
        return figure([], base_layout("No flagged drop with staff counts this month", 160))
    names = [
        f"{wrap(str(c), 18)}<br>({f.replace('_', ' ').lower()})"
        for c, f in zip(drops["competency"], drops["flag"], strict=True)
    ]
    data = []
    for (key, label), pattern, colour in zip(PARTS, PATTERNS, SERIES, strict=False):
        if key not in drops.columns or drops[key].null_count() == drops.height:
            continue  # a part the model does not write (older models have five)
        values = drops[key].to_list()
        data.append(
            {
                "type": "bar",
                "y": names,
                "x": values,
                "name": label,
                "orientation": "h",
                "marker": {"color": colour, "pattern": {"shape": pattern}},
                "hovertemplate": f"{label}: %{{x:.0f}} staff<extra>%{{y}}</extra>",
            }
        )
    height = 220 + 56 * drops.height
    layout = base_layout("What each flagged drop is made of (staff)", height)
    layout.update(
        barmode="stack",
        xaxis={
            "title": {"text": "Required staff not compliant (count)"},
            "tickformat": ",d",
            "dtick": max(1, math.ceil(_largest(drops, parts) / 8)),
        },
        yaxis={"autorange": "reversed"},
        margin={"l": 20, "r": 20, "t": 60, "b": 100},
        # the legend sits at the figure's foot, under the axis title (a plot-relative y put it
        # on top of the title when one drop makes the plot short)
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
        # narrow: the legend stacks one reason a line (six lines), under the axis title
        meta={"narrow": {"margin": {"l": 4, "r": 8, "b": 200}, "height": height + 100}},
    )
    layout["yaxis"]["automargin"] = True
    return figure(data, layout)
