"""Accessible data tables that sit under every chart: pre-formatted cells, a caption."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Table:
    """A caption, column headers and rows of display strings."""

    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    note: str = ""


def cell(value: Any, fmt: str = "") -> str:
    """Format one value for display (``pct`` = percentage, ``f2`` = two decimals)."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if fmt == "pct":
        return f"{value:.0%}"
    if fmt == "pct1":
        return f"{value:.1%}"
    if fmt == "f2":
        return f"{value:.2f}"
    if fmt == "pp":
        return f"{value * 100:+.1f} pp"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def from_frame(
    caption: str,
    frame: pl.DataFrame,
    columns: Sequence[tuple[str, str] | tuple[str, str, str]],
    note: str = "",
    limit: int = 2000,
) -> Table:
    """A table of ``frame``'s ``columns`` given as (column, header[, format])."""
    present = [c for c in columns if c[0] in frame.columns]
    rows = [
        tuple(cell(row[c[0]], c[2] if len(c) > 2 else "") for c in present)
        for row in frame.head(limit).iter_rows(named=True)
    ]
    if frame.height > limit:
        note = f"{note} First {limit} of {frame.height} rows.".strip()
    return Table(caption, tuple(c[1] for c in present), rows, note)
