"""Small-multiple grids as plain layout dictionaries (cheaper than ``make_subplots``)."""

from __future__ import annotations

from typing import Any

from plotly.io.json import to_json_plotly


class Fig:
    """A Plotly figure as plain trace and layout dictionaries.

    Building a ``plotly.graph_objects.Figure`` (even unvalidated) and serialising it through
    ``to_dict`` cost ~150 ms per drill-down page; plain dictionaries serialise directly with
    Plotly's JSON encoder (dates, numpy values, NaN as null). The unit tests validate every
    figure with ``go.Figure(fig.to_dict())``, so a wrong property still fails.
    """

    def __init__(self, data: list[dict[str, Any]], layout: dict[str, Any]) -> None:
        self.data = data
        self.layout = layout

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [...], "layout": {...}}``."""
        return {"data": self.data, "layout": self.layout}

    def to_json(self, validate: bool = False) -> str:
        """The figure as JSON for plotly.js (``validate`` is accepted and ignored)."""
        text: str = to_json_plotly(self.to_dict())
        return text


def figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> Fig:
    """A :class:`Fig` from trace and layout dictionaries (no per-property validation)."""
    return Fig(data, layout)


def grid(
    n: int, cols: int, titles: list[str], hgap: float = 0.06, vgap: float = 0.1
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Layout axes for ``n`` panels in ``cols`` columns, and each panel's (xaxis, yaxis) ids.

    Panel titles become annotations above each panel.
    """
    rows = max(1, -(-n // cols))
    width = (1 - hgap * (cols - 1)) / cols
    height = (1 - vgap * (rows - 1)) / rows
    layout: dict[str, Any] = {"annotations": []}
    ids = []
    for k in range(n):
        r, c = divmod(k, cols)
        suffix = "" if k == 0 else str(k + 1)
        x0 = c * (width + hgap)
        y1 = 1 - r * (height + vgap)
        xd = [round(max(0.0, x0), 6), round(min(1.0, x0 + width), 6)]
        yd = [round(max(0.0, y1 - height), 6), round(min(1.0, y1), 6)]
        layout[f"xaxis{suffix}"] = {"domain": xd, "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {"domain": yd, "anchor": f"x{suffix}"}
        layout["annotations"].append(
            {
                "text": f"<b>{titles[k]}</b>",
                "x": x0 + width / 2,
                "y": y1,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
        ids.append((f"x{suffix}", f"y{suffix}"))
    return layout, ids


#: Below this container width (px) the browser applies ``layout.meta.narrow`` (dashboards.js).
NARROW_PX = 600


def one_column(
    n: int, titles: list[str], panel_px: int, top: int = 80, bottom: int = 60
) -> dict[str, Any]:
    """Layout overrides that re-lay ``n`` grid panels as one column for a phone.

    Each panel keeps ``panel_px`` of height; the titles move with their panels. The result goes
    into ``layout.meta.narrow`` and is deep-merged over the layout by the browser when the
    chart's container is narrower than :data:`NARROW_PX`.
    """
    gap_px = 46
    height = top + bottom + n * panel_px + (n - 1) * gap_px
    plot = height - top - bottom
    vgap = gap_px / plot if n > 1 else 0.0
    layout, _ = grid(n, 1, titles, hgap=0.0, vgap=vgap)
    layout["height"] = height
    for note in layout["annotations"]:
        note.update(x=0, xanchor="left")
    return layout
