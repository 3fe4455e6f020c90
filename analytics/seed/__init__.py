"""Shipped seed data: example catalogue and crosswalk, and the default crosswalk by category.

``competencies.csv`` and ``category_competency.csv`` (ANALYTICS.md §3) are an example catalogue
and a crosswalk keyed on *its* ids, to import or adapt (``lrs import competencies <path printed
by lrs analytics seed-path competencies>``); neither is loaded on its own, because the crosswalk
belongs to the hospital. ``category_competency_default.csv`` maps incident categories to
competency *categories*; the linkage uses it when no crosswalk is imported
(:mod:`analytics.crosswalk`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SEED_FILES = {
    "category_competency": "category_competency.csv",
    "category_competency_default": "category_competency_default.csv",
    "competencies": "competencies.csv",
}


def seed_bytes(kind: str) -> bytes:
    """The shipped CSV of ``kind`` (``category_competency`` or ``competencies``)."""
    return resources.files(__name__).joinpath(SEED_FILES[kind]).read_bytes()


def seed_path(kind: str) -> Path:
    """Where the shipped CSV of ``kind`` is installed."""
    return Path(str(resources.files(__name__).joinpath(SEED_FILES[kind])))
