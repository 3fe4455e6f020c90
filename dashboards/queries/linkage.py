"""The linkage table in one shape, whichever model wrote it (issue-14 contract or older).

Contract columns: category, competency_id, gap_kind, is_primary, estimable, reason, irr,
irr_lo, irr_hi, p_value, q_value, e_value, n_dept_months, n_events, negative_control. Older
warehouses carry irr_per_10pp, ci_low, ci_high, n_obs, message and lag_months instead. An IRR
that is not a finite, plausible number (a model that ran off to 1e31 or an infinite bound) is
never shown: the row becomes "not estimable" with the reason in plain words.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from dashboards.data import Reader

RENAMES = {"irr_per_10pp": "irr", "ci_low": "irr_lo", "ci_high": "irr_hi", "n_obs": "n_dept_months"}
IMPLAUSIBLE = 1e3
NOT_CONVERGED = "The model did not converge (the estimate ran off to infinity)."


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    values = [row.get("irr"), row.get("irr_lo"), row.get("irr_hi")]
    finite = all(
        isinstance(v, int | float) and math.isfinite(v) and 0 < v < IMPLAUSIBLE for v in values
    )
    estimable = bool(row.get("estimable")) and finite
    reason = row.get("reason") or row.get("message") or ""
    if not estimable:
        reason = reason or (NOT_CONVERGED if row.get("irr") is not None else "Not estimable.")
        row.update(irr=None, irr_lo=None, irr_hi=None, p_value=None, q_value=None, e_value=None)
    row.update(estimable=estimable, reason=None if estimable else str(reason))
    return row


def linkage(r: Reader) -> pl.DataFrame:
    """Rows of the linkage table, cleaned, with ``competency`` names; primary, estimable first."""
    if not r.has("linkage"):
        return pl.DataFrame()
    cols = r.columns["linkage"]
    raw = r.frame("SELECT * FROM linkage")
    # older names only when the contract's name is absent (new tables carry both)
    raw = raw.drop([k for k, v in RENAMES.items() if k in cols and v in cols]).rename(
        {k: v for k, v in RENAMES.items() if k in cols and v not in cols}
    )
    names = (
        dict(r.rows("SELECT competency_id, name FROM competencies"))
        if r.has("competencies")
        else {}
    )
    rows = []
    for row in raw.iter_rows(named=True):
        row = _clean(dict(row))
        row["competency"] = names.get(row.get("competency_id"), row.get("competency_id"))
        row.setdefault("is_primary", True)
        row.setdefault("negative_control", False)
        row.setdefault("gap_kind", "compliance")
        rows.append(row)
    if not rows:
        return pl.DataFrame()
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.sort(
        [
            pl.col("negative_control").fill_null(False),
            ~pl.col("estimable"),
            ~pl.col("is_primary").fill_null(True),
            pl.col("category"),
            pl.col("competency"),
        ]
    )


def irr_text(row: dict[str, Any]) -> str:
    """``1.18 (1.02 to 1.37)`` or ``not estimable``."""
    if not row.get("estimable") or row.get("irr") is None:
        return "not estimable"
    return f"{row['irr']:.2f} ({row['irr_lo']:.2f} to {row['irr_hi']:.2f})"
