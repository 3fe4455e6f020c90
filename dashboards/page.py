"""What a dashboard page is made of, independent of Flask: tiles, panels, messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboards.figures.grid import Fig
from dashboards.tables import Table


@dataclass
class Tile:
    """One headline number with a label and an optional sub-line."""

    label: str
    value: str
    detail: str = ""
    alert: bool = False


@dataclass
class Item:
    """One line of a ranked list: a short label, a one-sentence reason and a link."""

    label: str
    reason: str
    href: str = ""
    badge: str = ""


@dataclass
class Panel:
    """A chart (optional) with the data table under it and a caption."""

    id: str
    title: str
    figure: Fig | None = None
    table: Table | None = None
    note: str = ""
    click: str = ""
    #: ranked items shown above the chart; with ``phone_list`` they replace it on a phone
    items: list[Item] = field(default_factory=list)
    items_title: str = ""
    items_empty: str = "Nothing flagged."
    phone_list: bool = False


@dataclass
class Page:
    """One page's content; ``audit`` is set when staff-level rows are shown."""

    title: str
    intro: str = ""
    tiles: list[Tile] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None
