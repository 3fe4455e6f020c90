"""The harbor simulator's records for the linkage study (``bench/linkage/study.py``).

The steps of ``analytics.simulate.harbor.generate`` up to the census and incidents, without
writing files or statements: the true monthly compliance per unit x competency (the gap that
drives its incidents), the census, the incidents, its own crosswalk and catalogue, and the
planted association and null pair from its plan.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from bench.linkage.study import Hospital, _census, _incidents


def sim_hospital(simulator: str, seed: int, staff: int) -> Hospital:
    """One seed of the harbor hospital, as the linkage reads it."""
    if simulator != "harbor":
        raise ValueError(f"unknown simulator {simulator!r} (demo or harbor)")
    from analytics.simulate.harbor.catalogue import CROSSWALK_FILE
    from analytics.simulate.harbor.generate import DEFAULT_END, DEFAULT_MONTHS, simulate
    from analytics.simulate.harbor.tables import reference_rows

    core = simulate(seed, staff, DEFAULT_MONTHS, DEFAULT_END)
    window, plan, cells, safety = core.window, core.plan, core.cells, core.safety
    series = pl.DataFrame(
        [
            {
                "department_id": dept,
                "competency_id": comp,
                "month": date.fromisoformat(window.label(m + 1) + "-01"),
                "compliance_rate": k / n,
            }
            for (dept, comp), months in cells.items()
            for m, (n, k) in enumerate(months)
            if n
        ]
    )
    category, competency, irr, _lag = plan.association
    return Hospital(
        incidents=_incidents(safety.incidents),
        census=_census(safety.census),
        series=series,
        crosswalk=pl.read_csv(CROSSWALK_FILE),
        competencies=pl.DataFrame(reference_rows(plan)["competencies"]),
        planted_category=category,
        planted_competency=competency,
        planted_irr=irr,
        null_category=plan.null_pair[0],
    )
