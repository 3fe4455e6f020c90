"""Palette, colour-blind-safe scales and flag markers shared by every dashboard figure.

The diverging scale is ColorBrewer ``PuOr`` (safe for deuteranopia, protanopia and
tritanopia): orange below the target, purple above, a light neutral exactly at the target.
Its darkest ends are left out so the black value printed in every cell stays readable.
Colour is never the only signal: every flag also has a marker symbol and a text label.
"""

from __future__ import annotations

from typing import Any

#: Below target (worst → neutral) and above target (neutral → best), ColorBrewer PuOr.
BELOW = ("#e08214", "#f1a340", "#fdb863", "#fee0b6")
NEUTRAL = "#f7f7f7"
ABOVE = ("#d8daeb", "#c5c2e0", "#b2abd2", "#9e9ac8")
GREY = "#bdbdbd"
INK = "#222222"
#: Okabe-Ito qualitative palette (colour-blind safe) for series.
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

#: flag → (marker symbol, marker colour, short text label, legend description).
FLAG_MARKERS: dict[str, tuple[str, str, str, str]] = {
    "PRIORITY": (
        "star",
        "#000000",
        "P",
        "Priority: low and declining, or declining on a critical item",
    ),
    "DECLINING": (
        "triangle-down",
        "#000000",
        "D",
        "Declining: more renewals left open than the normal pace predicts",
    ),
    "LOW": ("circle-open", "#000000", "L", "Low: below the 99.8% funnel limit"),
    "UPDATE_IN_PROGRESS": (
        "hourglass",
        "#0072B2",
        "U",
        "Update in progress after a protocol change",
    ),
    "INSUFFICIENT_DATA": ("x-thin-open", "#616161", "?", "Insufficient data (grey cell)"),
}
FLAG_ORDER = ("PRIORITY", "DECLINING", "LOW", "UPDATE_IN_PROGRESS", "INSUFFICIENT_DATA")


def diverging_scale(target: float, zmin: float = 0.0, zmax: float = 1.0) -> list[list[Any]]:
    """A Plotly colorscale on ``[zmin, zmax]`` whose neutral colour sits exactly at ``target``."""
    if not zmin < zmax:
        raise ValueError("zmin must be below zmax")
    mid = min(max((target - zmin) / (zmax - zmin), 0.05), 0.95)
    stops: list[list[Any]] = []
    for i, colour in enumerate(BELOW):
        stops.append([mid * i / len(BELOW), colour])
    stops.append([mid, NEUTRAL])
    for i, colour in enumerate(ABOVE, start=1):
        stops.append([mid + (1 - mid) * i / len(ABOVE), colour])
    return stops


def base_layout(title: str, height: int = 420) -> dict[str, Any]:
    """Layout defaults: readable font, white background, left-aligned title."""
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "hoverlabel": {"font": {"family": FONT}},
    }
