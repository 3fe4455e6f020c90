"""docs/warehouse.md documents every table, view and column present in the warehouse."""

from __future__ import annotations

import re
from pathlib import Path

from analytics.warehouse import Warehouse

DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"


def documented() -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    aliases: dict[str, str] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^### `(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = set()
            continue
        if current is None:
            continue
        same = re.match(r"^Columns: same as `(\w+)`", line)
        if same:
            aliases[current] = same.group(1)
        cell = re.match(r"^\| `([^`]+)` \|", line)
        if cell:
            tables[current].add(cell.group(1))
    for view, base in aliases.items():
        tables[view] |= tables[base]
    return tables


def test_every_warehouse_column_is_documented(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    with wh.write():
        pass
    with wh.read(identity=True) as conn:
        present = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog IN ('wh', 'identity')"
        ).fetchall()
    docs = documented()
    undocumented = sorted(f"{t}.{c}" for t, c in present if c not in docs.get(t, set()))
    assert undocumented == [], f"document these in docs/warehouse.md: {undocumented}"
    tables = {t for t, _ in present}
    stale = sorted(
        f"{t}.{c}" for t in tables for c in docs.get(t, set()) if (t, c) not in set(present)
    )
    assert stale == [], f"documented but absent: {stale}"
