"""Write a Harbor hospital: import CSVs, ``statements.jsonl`` (+ ``arrivals.txt``), manifest.

Same seed and size, same bytes. The RNG is split into independent streams (plan, staff,
training, safety, statements) so a change in one part does not reshuffle the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from analytics.imports.spec import KINDS
from analytics.simulate.harbor.calendar import Window
from analytics.simulate.harbor.catalogue import CROSSWALK_FILE, SKILLS
from analytics.simulate.harbor.manifest import manifest
from analytics.simulate.harbor.plan import Plan, draw_plan
from analytics.simulate.harbor.safety import Safety
from analytics.simulate.harbor.staff import Member, Workforce, unit_sizes
from analytics.simulate.harbor.tables import reference_rows, staff_rows, write_rows
from analytics.simulate.harbor.training import EPOCH, Trainer, Training
from analytics.simulate.harbor.truth import Cells, compliance, gap_series
from analytics.simulate.harbor.xapi import Emitter, iso

DEFAULT_STAFF = 700
DEFAULT_MONTHS = 24
DEFAULT_END = date(2026, 3, 31)
MANIFEST_FILE = "manifest.json"
STATEMENTS_FILE = "statements.jsonl"
ARRIVALS_FILE = "arrivals.txt"
SIMULATOR = "harbor"
VERSION = 2  # bump whenever the same seed would write different files


@dataclass(frozen=True)
class Written:
    """What :func:`generate` wrote."""

    out: Path
    seed: int
    people: int
    statements: int
    rows: dict[str, int]


def _statements(
    directory: Path, emitter: Emitter, timed: Iterable[tuple[int, dict[str, Any]]]
) -> int:
    ordered = sorted(timed, key=lambda t: (t[0], t[1]["timestamp"], t[1]["id"]))
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with (directory / STATEMENTS_FILE).open("w", encoding="utf-8") as out:
        out.writelines(dumps(s) + "\n" for _, s in ordered)
    with (directory / ARRIVALS_FILE).open("w", encoding="utf-8") as out:
        out.writelines(iso(t) + "\n" for t, _ in ordered)
    return len(ordered)


@dataclass(frozen=True)
class Simulated:
    """One seed's hospital in memory, before any file or statement is written."""

    window: Window
    plan: Plan
    people: list[Member]
    training: Training
    cells: Cells
    safety: Safety
    xapi_rng: np.random.Generator


def simulate(seed: int, staff: int, months: int, end: date) -> Simulated:
    """Plan, staff, training, true compliance and safety events of one seed (no I/O)."""
    window = Window(end, months)
    plan_rng, staff_rng, train_rng, safety_rng, xapi_rng = np.random.default_rng(seed).spawn(5)
    plan = draw_plan(window, plan_rng)
    history_start = window.first_day - max(s.recert_days for s in SKILLS) - 70
    people = Workforce(window, staff_rng, history_start).build(
        unit_sizes(staff), plan.wave, (plan.low[0], plan.low_share)
    )
    training = Trainer(window, plan, train_rng, history_start).run(people)
    cells = compliance(window, plan, people, training)
    safety = Safety(window, plan, safety_rng)
    safety.build(people, gap_series(cells, plan.association[1]))
    return Simulated(window, plan, people, training, cells, safety, xapi_rng)


def generate(
    out: str | Path,
    *,
    seed: int = 0,
    staff: int = DEFAULT_STAFF,
    months: int = DEFAULT_MONTHS,
    end: date = DEFAULT_END,
) -> Written:
    """Generate the hospital into ``out`` (created if needed)."""
    if staff < 100 or months < 18:
        raise ValueError("need staff >= 100 and months >= 18")
    core = simulate(seed, staff, months, end)
    window, plan, people, training = core.window, core.plan, core.people, core.training
    cells, safety, xapi_rng = core.cells, core.safety, core.xapi_rng
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    tables = {
        **reference_rows(plan),
        "staff": staff_rows(people),
        "certifications": [
            {
                "person_id": people[p].person_id,
                "competency_id": "HH-C108",
                "issued": date.fromordinal(i).isoformat(),
                "expires": date.fromordinal(e).isoformat(),
                "issuer": "Harbor Resuscitation Service",
            }
            for p, i, e in training.cards
        ],
        "census": safety.census,
        "incidents": safety.incidents,
    }
    rows = {
        kind: write_rows(directory / f"{kind}.csv", KINDS[kind].column_names, r)
        for kind, r in tables.items()
    }
    (directory / "category_competency.csv").write_bytes(CROSSWALK_FILE.read_bytes())
    rows["category_competency"] = len(CROSSWALK_FILE.read_text().splitlines()) - 1
    last_second = (window.last_day + 1 - EPOCH) * 86400 - 1
    emitter = Emitter(xapi_rng, last_second)
    timed = [t for a in training.attempts for t in emitter.attempt(a, people[a.person])]
    n_statements = _statements(directory, emitter, timed)
    doc = manifest(window, plan, people, training, cells, emitter, seed)
    doc.update(
        simulator=SIMULATOR,
        version=VERSION,
        seed=seed,
        staff_knob=staff,
        counts={**rows, "statements": n_statements, "attempts": len(training.attempts)},
    )
    (directory / MANIFEST_FILE).write_text(
        json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return Written(directory, seed, len(people), n_statements, rows)
