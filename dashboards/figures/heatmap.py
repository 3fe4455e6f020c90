"""The readiness heatmap: department x competency, grouped, with flag markers."""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards.figures.grid import Fig, figure
from dashboards.theme import FLAG_MARKERS, FLAG_ORDER, GREY, base_layout, diverging_scale

HOVER = (
    "<b>%{customdata[9]}</b> · %{customdata[10]}<br>"
    "%{customdata[11]}: %{customdata[3]}<br>95% interval %{customdata[4]}<br>"
    "n required = %{customdata[2]}<br>slope %{customdata[5]}<br>"
    "flag: %{customdata[7]}<br>%{customdata[6]}<extra></extra>"
)


def wrap(text: str, width: int = 60) -> str:
    """Break a sentence into hover lines of about ``width`` characters."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return "<br>".join([*lines, line] if line else lines)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.0%}"


def _slope(row: dict[str, Any]) -> str:
    s = row.get("slope")
    if s is None:
        return "—"
    lo, hi = row.get("slope_ci_low"), row.get("slope_ci_high")
    ci = f" [{lo * 100:+.1f}, {hi * 100:+.1f}]" if lo is not None and hi is not None else ""
    return f"{s * 100:+.1f} pp/month{ci}"


def _custom(row: dict[str, Any], metric: str) -> list[Any]:
    lo, hi = row.get(f"{metric}_lo"), row.get(f"{metric}_hi")
    interval = f"{_pct(lo)} to {_pct(hi)}" if lo is not None and hi is not None else "—"
    return [
        row["department_id"],
        row["competency_id"],
        row.get("n_required"),
        "no assessment evidence (certificate only)"
        if metric == "readiness" and row.get("readiness_state") == "no_assessment_evidence"
        else _pct(row.get(metric)),
        interval,
        _slope(row),
        wrap(row.get("reason") or "") if row.get("flag") not in (None, "OK") else "",
        row.get("flag") or "OK",
        None,
        row["department"],
        row["competency"],
        metric.title(),
    ]


def _axes(cells: pl.DataFrame) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    # sorted globally: a department without some competencies must not reorder the columns
    rows = (
        cells.select("service_line", "department_id", "department")
        .unique()
        .sort("service_line", "department", "department_id")
    )
    cols = (
        cells.select("category", "competency_id", "competency")
        .unique()
        .sort("category", "competency", "competency_id")
    )
    return list(rows.iter_rows()), list(cols.iter_rows())


def _matrices(cells: pl.DataFrame, metric: str, rows: list[Any], cols: list[Any]) -> dict[str, Any]:
    r_at = {r[1]: i for i, r in enumerate(rows)}
    c_at = {c[1]: j for j, c in enumerate(cols)}
    z: list[list[Any]] = [[None] * len(cols) for _ in rows]
    grey: list[list[Any]] = [[None] * len(cols) for _ in rows]
    text = [[""] * len(cols) for _ in rows]
    custom: list[list[Any]] = [[None] * len(cols) for _ in rows]
    marks: dict[str, list[tuple[int, int, list[Any]]]] = {f: [] for f in FLAG_ORDER}
    for row in cells.iter_rows(named=True):
        i, j = r_at[row["department_id"]], c_at[row["competency_id"]]
        custom[i][j] = _custom(row, metric)
        if metric == "readiness" and row.get("readiness_state") == "no_assessment_evidence":
            grey[i][j], text[i][j] = 1, "no test"
        elif row["flag"] == "INSUFFICIENT_DATA" or row.get(metric) is None:
            grey[i][j], text[i][j] = 1, f"n={row.get('n_required')}"
        else:
            z[i][j], text[i][j] = row[metric], f"{row[metric] * 100:.0f}"
        if row["flag"] in marks:
            marks[row["flag"]].append((i, j, custom[i][j]))
    return {"z": z, "grey": grey, "text": text, "custom": custom, "marks": marks}


def _groups(
    labels: list[str], horizontal: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    shapes, notes, start = [], [], 0
    for k in range(1, len(labels) + 1):
        if k == len(labels) or labels[k] != labels[start]:
            mid = (start + k - 1) / 2
            if horizontal:
                notes.append(
                    {
                        "x": 1.0,
                        "xref": "paper",
                        "xanchor": "left",
                        "y": mid,
                        "yref": "y",
                        "text": f"<b>{labels[start]}</b>",
                        "showarrow": False,
                    }
                )
            else:
                note: dict[str, Any] = {
                    "x": mid,
                    "xref": "x",
                    "y": 1.0,
                    "yref": "paper",
                    "yanchor": "bottom",
                    "text": f"<b>{labels[start]}</b>",
                    "showarrow": False,
                }
                # the grid is at least ~600 px wide (a phone draws it 1000 px wide on request) and
                # a bold character takes ~9 px: a few columns leave room for whole names
                room = max(2, (k - start) * 600 // (len(labels) * 9))
                if len(labels[start]) > room:  # too narrow: shorten, full name on hover
                    note.update(
                        text=f"<b>{labels[start][: room - 1]}…</b>", hovertext=labels[start]
                    )
                notes.append(note)
            if k < len(labels):
                line: dict[str, Any] = {"type": "line", "line": {"color": "#333", "width": 2}}
                if horizontal:
                    line.update(x0=0, x1=1, xref="paper", y0=k - 0.5, y1=k - 0.5, yref="y")
                else:
                    line.update(y0=0, y1=1, yref="paper", x0=k - 0.5, x1=k - 0.5, xref="x")
                shapes.append(line)
            start = k
    return shapes, notes


def cell_font(n_cols: int) -> int:
    """The cell text size that keeps "100" or "n=12" inside its cell: 11 px up to 24 columns,
    smaller for wider grids (a desk grid is ~750 px; a character is ~0.6 of the size)."""
    if n_cols <= 24:
        return 11
    return max(7, min(11, int((750 / n_cols - 3) / 1.9)))


def heatmap(cells: pl.DataFrame, metric: str = "compliance", target: float = 0.9) -> Fig:
    """Heatmap of ``metric`` (shrunken compliance or readiness), centred on ``target``.

    Rows are departments grouped by service line, columns competencies grouped by category.
    Insufficient-data cells are grey with their n as text; every flag is also a marker symbol
    in the cell's corner with its own legend entry. ``layout.meta`` carries the department and
    competency ids by row and column for the click-through to the drill-down.
    """
    rows, cols = _axes(cells)
    m = _matrices(cells, metric, rows, cols)
    xs, ys = list(range(len(cols))), list(range(len(rows)))
    cell_style = {
        "x": xs,
        "y": ys,
        "text": m["text"],
        "texttemplate": "%{text}",
        "textfont": {"size": cell_font(len(cols))},
        "xgap": 2,
        "ygap": 2,
        "customdata": m["custom"],
        "hovertemplate": HOVER,
        "hoverongaps": False,
    }
    data: list[dict[str, Any]] = [
        {
            "type": "heatmap",
            "z": m["z"],
            "zmin": 0,
            "zmax": 1,
            "name": metric.title(),
            "colorscale": diverging_scale(target),
            **cell_style,
            "colorbar": {
                "title": {"text": f"{metric.title()}<br>(target {target:.0%})"},
                "tickformat": ".0%",
                "x": 1.16,
            },
        },
        {
            "type": "heatmap",
            "z": m["grey"],
            "colorscale": [[0, GREY], [1, GREY]],
            "showscale": False,
            "name": "Insufficient data",
            **cell_style,
        },
    ]
    for flag in FLAG_ORDER:
        symbol, colour, label, desc = FLAG_MARKERS[flag]
        pts = m["marks"][flag]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{label} — {desc}",
                "x": [j + 0.3 for _, j, _ in pts],
                "y": [i - 0.28 for i, _, _ in pts],
                "marker": {
                    "symbol": symbol,
                    "size": 11,
                    "color": colour,
                    "line": {"width": 1.5, "color": colour},
                },
                "customdata": [c for _, _, c in pts],
                "hovertemplate": HOVER,
                "legendgroup": flag,
                "showlegend": True,
            }
        )
    shapes_r, notes_r = _groups([r[0] for r in rows], horizontal=True)
    shapes_c, notes_c = _groups([c[0] for c in cols], horizontal=False)
    upright = len(cols) > 21  # upright column names need their length in height
    longest = max((len(str(c[2])) for c in cols), default=0) if upright else 0
    layout = base_layout(
        f"{metric.title()} by department and competency", 360 + 34 * len(rows) + 6 * longest
    )
    layout.update(
        xaxis={
            "tickvals": xs,
            "ticktext": [c[2] for c in cols],
            # slanted names overlap once columns are narrower than ~28 px; upright ones do not
            "tickangle": -90 if upright else -30,
            "showgrid": False,
            "zeroline": False,
            "range": [-0.5, len(cols) - 0.5],
            "automargin": True,
        },
        yaxis={
            "tickvals": ys,
            "ticktext": [r[2] for r in rows],
            "autorange": "reversed",
            "showgrid": False,
            "zeroline": False,
            "automargin": True,
        },
        shapes=shapes_r + shapes_c,
        annotations=notes_r + notes_c,
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "x": 0,
            "title": {"text": "Flags:"},
        },
        margin={"l": 120, "r": 150, "t": 90, "b": 110},
        meta={"departments": [r[1] for r in rows], "competencies": [c[1] for c in cols]},
    )
    return figure(data, layout)
