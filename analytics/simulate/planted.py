"""The planted truth of a generated hospital, read from either simulator's truth file.

Harbor writes ``manifest.json`` (:mod:`analytics.simulate.harbor`); the demo writes
``truth.json`` (:mod:`analytics.demo`). Both are read here as JSON only (no demo code is
imported) into one :class:`Planted`, which :mod:`analytics.simulate.scoring` scores against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Decline:
    """A planted decline: the cell and its first declining month (1-based window index)."""

    id: str
    department_id: str
    competency_id: str
    start_month: int


@dataclass(frozen=True)
class Planted:
    """What was planted, in the terms the scores need.

    ``in_control`` is None when the truth file does not list the cells (the demo): then every
    flagged cell outside ``planted_cells`` and ``excluded_departments`` is in control.
    ``protocol_windows`` are (competency, first month index, last month index) where a dip is
    explained by a protocol change; ``cohort_competencies`` renew together once a year.
    """

    simulator: str
    seed: int | None
    first_month: date
    months: int
    end: date
    declines: tuple[Decline, ...]
    low: tuple[str, str] | None
    association: tuple[str, str, float] | None
    null_pair: tuple[str, str] | None
    planted_cells: frozenset[tuple[str, str]]
    in_control: frozenset[tuple[str, str]] | None
    excluded_departments: frozenset[str]
    protocol_windows: tuple[tuple[str, int, int], ...]
    near_miss: tuple[str, int] | None
    tiny: str | None
    wave_department: str | None
    cohort_competencies: frozenset[str]

    def index(self, month: date) -> int:
        """The 1-based window index of a month (any day of it)."""
        return (month.year - self.first_month.year) * 12 + month.month - self.first_month.month + 1


def _month(label: str) -> date:
    return date.fromisoformat(label + "-01")


def _window(first: date, change: str, retrain_days: int) -> tuple[int, int]:
    day = date.fromisoformat(change)
    start = (day.year - first.year) * 12 + day.month - first.month + 1
    return start, start + retrain_days // 30 + 2


def from_manifest(doc: dict[str, Any]) -> Planted:
    """A Harbor ``manifest.json``."""
    first = _month(doc["window"]["first_month"])
    assoc, null = doc["association"], doc["null_pair"]
    return Planted(
        simulator="harbor",
        seed=doc.get("seed"),
        first_month=first,
        months=int(doc["window"]["months"]),
        end=date.fromisoformat(doc["window"]["end"]),
        declines=tuple(
            Decline(d["id"], d["department_id"], d["competency_id"], int(d["start_month"]))
            for d in doc["declines"]
        ),
        low=(doc["low_unit"]["department_id"], doc["low_unit"]["competency_id"]),
        association=(assoc["category"], assoc["competency_id"], float(assoc["irr_per_10pp"])),
        null_pair=(null["category"], null["competency_id"]),
        planted_cells=frozenset((d, c) for d, c in doc["planted_cells"]),
        in_control=frozenset((d, c) for d, c in doc["in_control_cells"]),
        excluded_departments=frozenset({doc["tiny_unit"]["department_id"]}),
        protocol_windows=tuple(
            (c["competency_id"], *_window(first, c["change_date"], int(c["retrain_due_days"])))
            for c in doc["protocol_changes"]
            if c["invalidates_prior"]
        ),
        near_miss=(
            doc["near_miss_surge"]["department_id"],
            int(doc["near_miss_surge"]["start_month"]),
        ),
        tiny=doc["tiny_unit"]["department_id"],
        wave_department=doc["hiring_wave"]["department_id"],
        cohort_competencies=frozenset(c["competency_id"] for c in doc["seasonal_cohorts"]),
    )


def from_demo_truth(doc: dict[str, Any]) -> Planted:
    """The demo's ``truth.json`` (no LOW unit, no null pair, no cell list)."""
    first = _month(doc["window"]["first_month"])
    sig = {s["id"]: s for s in doc["signals"]}
    dec, falls = sig["readiness_decline"], sig["falls_linkage"]
    declines = (
        Decline(
            "readiness_decline", dec["department_id"], dec["competency_id"], dec["start_month"]
        ),
        Decline(
            "falls_decline", falls["department_id"], falls["competency_id"], falls["start_month"]
        ),
    )
    change = sig["protocol_change"]
    return Planted(
        simulator="demo",
        seed=doc.get("seed"),
        first_month=first,
        months=int(doc["window"]["months"]),
        end=date.fromisoformat(doc["window"]["end"]),
        declines=declines,
        low=None,
        association=(falls["category"], falls["competency_id"], float(falls["irr_per_10pp"])),
        null_pair=None,
        planted_cells=frozenset((d.department_id, d.competency_id) for d in declines),
        in_control=None,
        excluded_departments=frozenset({sig["tiny_unit"]["department_id"]}),
        protocol_windows=(
            (
                change["competency_id"],
                *_window(first, change["change_date"], int(change["retrain_due_days"])),
            ),
        ),
        near_miss=(
            sig["near_miss_rise"]["department_id"],
            int(sig["near_miss_rise"]["start_month"]),
        ),
        tiny=sig["tiny_unit"]["department_id"],
        wave_department=None,
        cohort_competencies=frozenset(),
    )


def planted_of(directory: str | Path) -> Planted:
    """Read ``manifest.json`` (Harbor) or ``truth.json`` (demo) from a generated directory."""
    directory = Path(directory)
    if (directory / "manifest.json").exists():
        return from_manifest(json.loads((directory / "manifest.json").read_text(encoding="utf-8")))
    return from_demo_truth(json.loads((directory / "truth.json").read_text(encoding="utf-8")))
