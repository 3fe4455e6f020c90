"""Shipped seed data: the category → competency map and an example competency catalogue.

``category_competency.csv`` (ANALYTICS.md §3) is loaded into a new warehouse and stays editable
with ``lrs import category_competency FILE``; ``competencies.csv`` is an example catalogue to
import or adapt (``lrs import competencies <path printed by lrs analytics seed-path>``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

SEED_FILES = {"category_competency": "category_competency.csv", "competencies": "competencies.csv"}


def seed_bytes(kind: str) -> bytes:
    """The shipped CSV of ``kind`` (``category_competency`` or ``competencies``)."""
    return resources.files(__name__).joinpath(SEED_FILES[kind]).read_bytes()


def seed_path(kind: str) -> Path:
    """Where the shipped CSV of ``kind`` is installed."""
    return Path(str(resources.files(__name__).joinpath(SEED_FILES[kind])))


def load_seed(conn: Any) -> None:
    """Load the shipped ``category_competency`` map into a new warehouse."""
    from analytics.imports.load import upsert
    from analytics.imports.spec import KINDS
    from analytics.imports.validate import check_rows, read_rows

    kind = KINDS["category_competency"]
    checked = check_rows(kind, read_rows(kind, seed_bytes(kind.name), "csv"))
    if checked.errors:  # pragma: no cover - guarded by tests/analytics/test_seed.py
        raise ValueError(f"shipped seed is invalid: {checked.errors}")
    upsert(conn, kind, checked.rows, b"")
