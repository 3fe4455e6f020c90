"""Harbor's true compliance per unit x competency x month (the planted-truth reference).

A person counts at a month end when employed and established (hired at least the initial-due
window before it). Compliant: a pass within the recertification interval and after the last
invalidating protocol change; BLS: a card valid at the month end.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from analytics.simulate.harbor.calendar import Window
from analytics.simulate.harbor.catalogue import INITIAL_DUE_DAYS, SKILLS, required
from analytics.simulate.harbor.plan import Plan
from analytics.simulate.harbor.staff import Member
from analytics.simulate.harbor.training import Training

Cells = dict[tuple[str, str], list[tuple[int, int]]]


def _valid(passes: list[int], day: int, recert: int, floor: int) -> bool:
    i = bisect.bisect_right(passes, day)
    return i > 0 and passes[i - 1] > floor and day < passes[i - 1] + recert


def compliance(window: Window, plan: Plan, people: list[Member], training: Training) -> Cells:
    """``{(department_id, competency_id): [(n_established, n_compliant) per month]}``."""
    cards: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p, issued, expires in training.cards:
        cards[p].append((issued, expires))
    ends = [window.end_of(m) for m in range(1, window.months + 1)]
    out: Cells = defaultdict(lambda: [(0, 0)] * window.months)
    for p, member in enumerate(people):
        for skill in required(member.role_code):
            s = SKILLS.index(skill)
            cell = out[(member.department_id, skill.competency_id)]
            passes = training.passes.get((p, s), [])
            for m, day in enumerate(ends):
                if not member.hire + INITIAL_DUE_DAYS <= day or (
                    member.leave is not None and member.leave <= day
                ):
                    continue
                if skill.cert_only:
                    ok = any(i <= day < e for i, e in cards[p])
                else:
                    floor = max(
                        [
                            c.day - 1
                            for c in plan.changes
                            if c.competency_id == skill.competency_id
                            and c.invalidates_prior
                            and c.day <= day
                        ]
                        or [-1]
                    )
                    ok = _valid(passes, day, skill.recert_days, floor)
                n, k = cell[m]
                cell[m] = (n + 1, k + ok)
    return dict(out)


def gap_series(cells: Cells, competency_id: str) -> dict[str, list[float | None]]:
    """``{department_id: [1 - compliance per month]}`` for one competency (None: no staff)."""
    return {
        dept: [None if n == 0 else round(1 - k / n, 5) for n, k in series]
        for (dept, comp), series in cells.items()
        if comp == competency_id
    }
