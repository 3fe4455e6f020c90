"""What changed: flags that are new this month, and the cells closest to turning red."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboards.data import Reader
from dashboards.filters import Filters
from dashboards.queries.common import dept_where
from dashboards.queries.readiness import readable_reason, reason_of

SIGNALS = ("PRIORITY", "DECLINING", "LOW", "UPDATE_IN_PROGRESS")
HORIZON_MONTHS = 12


@dataclass(frozen=True)
class Change:
    """One cell worth a look, with its reason in one sentence."""

    department_id: str
    department: str
    competency_id: str
    competency: str
    flag: str
    reason: str
    months_to_red: float | None = None


def new_flags(r: Reader, f: Filters, month: dt.date) -> list[Change]:
    """Cells flagged in ``month`` that carried no flag (or a milder one) the month before."""
    if not r.has("flags", "departments", "competencies"):
        return []
    where, params = dept_where(f)
    has_expl = "explanation" in r.columns["flags"]
    expl = "fl.explanation::VARCHAR" if has_expl else "NULL::VARCHAR"
    signals = ", ".join(f"'{s}'" for s in SIGNALS)
    rows = r.rows(
        f"""SELECT fl.department_id, d.name, fl.competency_id, c.name, fl.flag, {expl}
            FROM flags fl JOIN departments d USING (department_id)
            JOIN competencies c USING (competency_id)
            LEFT JOIN flags prev ON prev.department_id = fl.department_id
                 AND prev.competency_id = fl.competency_id
                 AND prev.month = fl.month - INTERVAL 1 MONTH
            WHERE fl.month = ? AND fl.flag IN ({signals}) AND {where}
              AND (prev.flag IS NULL OR prev.flag NOT IN ({signals})
                   OR (prev.flag <> fl.flag AND fl.flag = 'PRIORITY'))
            ORDER BY CASE fl.flag WHEN 'PRIORITY' THEN 0 WHEN 'DECLINING' THEN 1
                     WHEN 'LOW' THEN 2 ELSE 3 END, d.name, c.name""",
        [month, *params],
    )
    return [
        Change(
            str(a),
            str(b),
            str(c),
            str(d),
            str(e),
            readable_reason(reason_of(x), str(a), str(c), str(d)) or "No reason recorded.",
        )
        for a, b, c, d, e, x in rows
    ]


def closest_to_red(r: Reader, f: Filters, month: dt.date, top: int = 5) -> list[Change]:
    """Unflagged cells falling towards their lower limit: months until they cross it.

    The trend is the least-squares slope of shrunken compliance over the last six months; the
    red line is the flags' LOW funnel limit (``low_limit``), or for older models the EWMA lower
    control limit measured from the EWMA. Only cells that would cross within
    :data:`HORIZON_MONTHS` are listed, soonest first.
    """
    cols = r.columns.get("dept_competency_month", frozenset())
    low = "low_limit" in r.columns.get("flags", frozenset())
    if low:  # the flags' LOW funnel limit, against shrunken compliance
        level, limit = "m.compliance_shrunk", "fl.low_limit"
    elif {"ewma", "ewma_lcl"} <= cols:  # older models: the EWMA against its control limit
        level, limit = "m.ewma", "m.ewma_lcl"
    else:
        return []
    where, params = dept_where(f)
    flagged = (
        "LEFT JOIN flags fl ON fl.department_id = m.department_id "
        "AND fl.competency_id = m.competency_id AND fl.month = m.month"
        if r.has("flags")
        else "LEFT JOIN (SELECT NULL::VARCHAR flag) fl ON false"
    )
    rows = r.rows(
        f"""WITH trend AS (
              SELECT department_id, competency_id,
                     regr_slope(compliance_shrunk, epoch(month) / 2629746.0) AS slope
              FROM dept_competency_month
              WHERE month <= ? AND month > ? - INTERVAL 6 MONTH
              GROUP BY ALL HAVING count(*) >= 4)
            SELECT m.department_id, d.name, m.competency_id, c.name, t.slope,
                   ({level} - {limit}) / -t.slope AS months
            FROM dept_competency_month m JOIN trend t USING (department_id, competency_id)
            JOIN departments d USING (department_id) JOIN competencies c USING (competency_id)
            {flagged}
            WHERE m.month = ? AND t.slope < 0 AND {level} > {limit}
              AND coalesce(fl.flag, 'OK') = 'OK' AND {where}
              AND ({level} - {limit}) / -t.slope <= ?
            ORDER BY months LIMIT ?""",
        [month, month, month, *params, HORIZON_MONTHS, top],
    )
    return [
        Change(
            str(a),
            str(b),
            str(c),
            str(d),
            "OK",
            f"Falling {-slope * 100:.1f} pp a month; at this pace it crosses its lower limit "
            + _when(float(months)),
            float(months),
        )
        for a, b, c, d, slope, months in rows
    ]


def _when(months: float) -> str:
    """``within a month`` / ``in about 3 months``."""
    if months < 1:
        return "within a month."
    return f"in about {months:.0f} month{'s' if round(months) != 1 else ''}."
