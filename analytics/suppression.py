"""Small-cell suppression: incident counts from 1 to 10 are never shown or exported.

A count under :data:`MIN_CELL` (and above zero) could identify the patients or staff involved,
so it becomes null, and so do the columns derived from it in the same row (a rate or a ratio
would give the count back). Zero is shown: it identifies no one.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

MIN_CELL = 11


def suppress(
    frame: pl.DataFrame, counts: Sequence[str], derived: Sequence[str] = ()
) -> pl.DataFrame:
    """``frame`` with small ``counts`` nulled, and ``derived`` nulled in the rows affected."""
    present = [c for c in counts if c in frame.columns]
    if not present or frame.height == 0:
        return frame
    small = pl.any_horizontal([(pl.col(c) > 0) & (pl.col(c) < MIN_CELL) for c in present])
    return frame.with_columns(
        [
            pl.when((pl.col(c) > 0) & (pl.col(c) < MIN_CELL))
            .then(None)
            .otherwise(pl.col(c))
            .alias(c)
            for c in present
        ]
        + [
            pl.when(small).then(None).otherwise(pl.col(c)).alias(c)
            for c in derived
            if c in frame.columns
        ]
    )


# Columns of aggregate incident tables that hold counts, and the rates computed from them.
COUNT_COLUMNS = frozenset({"harm_events", "near_misses", "incidents", "events", "injuries"})
# Incident tables never exported: raw rows (one per incident) cannot be suppressed by cell.
ROW_LEVEL = frozenset({"incidents"})


def suppressed_select(table: str, columns: Sequence[str]) -> str:
    """``SELECT`` of an aggregate incident table with small counts and their rates nulled."""
    counts = [c for c in columns if c in COUNT_COLUMNS]
    small = " OR ".join(f'("{c}" > 0 AND "{c}" < {MIN_CELL})' for c in counts) or "false"
    parts = []
    for c in columns:
        if c in counts:
            parts.append(f'CASE WHEN "{c}" > 0 AND "{c}" < {MIN_CELL} THEN NULL ELSE "{c}" END')
        elif "rate" in c or c.startswith("per_"):
            parts.append(f'CASE WHEN {small} THEN NULL ELSE "{c}" END')
        else:
            parts.append(f'"{c}"')
    selected = ", ".join(f'{expr} AS "{c}"' for expr, c in zip(parts, columns, strict=True))
    return f'SELECT {selected} FROM "{table}"'
