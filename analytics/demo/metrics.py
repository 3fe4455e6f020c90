"""Ground-truth monthly series computed from the simulation's own histories.

These are the generator's view (recorded in ``truth.json`` and used to drive incidents), not
the analytics layer's estimates: at each month end, among staff required to hold a competency
(active, and past their onboarding window or already trained), the share compliant (evidence
within the interval and after an invalidating protocol change) and the mean retention
``2^(-days since evidence / h)`` (times the carryover after a change, 0 without evidence).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

from analytics.demo.catalog import COMPETENCIES
from analytics.demo.frame import Frame, Plan
from analytics.demo.learning import INITIAL_DUE_DAYS, PairHistory


@dataclass
class Cell:
    """Monthly counts of one department x competency x month."""

    n_required: int = 0
    n_compliant: int = 0
    retention_sum: float = 0.0

    @property
    def compliance(self) -> float | None:
        """Share compliant (None when nobody is required)."""
        return self.n_compliant / self.n_required if self.n_required else None

    @property
    def readiness(self) -> float | None:
        """Mean retention-based readiness (None when nobody is required)."""
        return self.retention_sum / self.n_required if self.n_required else None


Cells = dict[tuple[str, str, int], Cell]


def monthly_cells(histories: list[PairHistory], frame: Frame, plan: Plan) -> Cells:
    """Aggregate every pair's status at every metric month end."""
    cells: Cells = defaultdict(Cell)
    change = frame.month_start(plan.protocol_month) + plan.protocol_day - 1
    month_ends = [(m, frame.month_end(m)) for m in frame.metric_months()]
    for pair in histories:
        person = pair.person
        comp = COMPETENCIES[pair.competency]
        changed = comp.competency_id == plan.protocol_competency
        for month, end in month_ends:
            if not person.active(end):
                continue
            k = bisect.bisect_right(pair.passes, end)
            if k == 0 and end < person.hire + INITIAL_DUE_DAYS:
                continue
            cell = cells[(person.department_id, comp.competency_id, month)]
            cell.n_required += 1
            if k == 0:
                continue
            last = pair.passes[k - 1]
            invalidated = changed and last < change <= end
            if end - last < pair.interval and not invalidated:
                cell.n_compliant += 1
            carry = plan.carryover if invalidated else 1.0
            cell.retention_sum += carry * 2.0 ** (-(end - last) / comp.half_life_days)
    return cells


def series(cells: Cells, frame: Frame, department: str, competency: str) -> dict[str, list[object]]:
    """Month-by-month n, compliance and readiness of one cell over the metric months."""
    out: dict[str, list[object]] = {
        "month": [],
        "n_required": [],
        "compliance": [],
        "readiness": [],
    }
    for month in frame.metric_months():
        cell = cells.get((department, competency, month), Cell())
        out["month"].append(frame.label(month))
        out["n_required"].append(cell.n_required)
        out["compliance"].append(None if cell.compliance is None else round(cell.compliance, 4))
        out["readiness"].append(None if cell.readiness is None else round(cell.readiness, 4))
    return out
