"""The explanation JSON of a flag row: the facts behind it and one plain-words ``reason``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0%}"


def _onboarding(facts: dict[str, Any]) -> str:
    k = facts["n_onboarding"]
    if not k:
        return ""
    if k == 1:
        return " 1 new hire still onboarding is counted apart."
    return f" {k} new hires still onboarding are counted apart."


def _p(p: float) -> str:
    """A p-value as words can carry it: '< 0.0001' rather than a rounded '= 0.0000'."""
    return "< 0.0001" if p < 0.0001 else f"= {p:.4f}"


def _declining(facts: dict[str, Any]) -> str:
    months = facts["run_months"]
    return (
        f"More staff are letting {facts['competency_id']} lapse than before: over the last "
        f"{months} month{'s' if months != 1 else ''}, {facts['excess_lapsed']:.0f} more "
        f"renewals were missed than the usual lapse rate of {facts['lapse_baseline']:.0%} "
        f"predicts (chance under normal variation p {_p(facts['p_value'])}, "
        f"false-discovery adjusted q = {facts['q_value'] or 1:.3f})."
    )


def _low(facts: dict[str, Any]) -> str:
    return (
        f"Compliance is {_pct(facts['current'])} ({facts['n_compliant']} of {facts['n']} "
        f"established staff), below the lower limit of {_pct(facts['low_limit'])} expected for "
        f"a unit of this size when comparable departments are at {_pct(facts['peer_rate'])}."
    )


def reason(facts: dict[str, Any]) -> str:
    """One sentence a quality leader can read: why the cell has its flag."""
    flag = facts["flag"]
    where = f"{facts['department_id']} / {facts['competency_id']}: "
    if flag == "INSUFFICIENT_DATA":
        text = "too few established staff in most of the last 12 months to judge (grey)."
    elif flag == "UPDATE_IN_PROGRESS":
        k = facts["decomposition"]["protocol_invalidation"]
        text = (
            f"a protocol change on {facts['change_date']} requires {k} staff to retrain; this "
            "is an update in progress, not a decline."
        )
    elif flag == "PRIORITY":
        text = _declining(facts)
        if facts["low_limit"] is not None and (facts["current"] or 1) < facts["low_limit"]:
            text += " " + _low(facts)
        else:
            text += " The competency is critical."
    elif flag == "DECLINING":
        text = _declining(facts)
    elif flag == "LOW":
        text = _low(facts)
    else:
        text = (
            f"compliance {_pct(facts['current'])} of {facts['n']} established staff is within "
            "the expected range and renewals are not lapsing more than usual."
        )
    return where + text + _onboarding(facts)


def explanation(facts: dict[str, Any], slope: np.ndarray) -> str:
    """The explanation JSON: method facts, slope with CI, decomposition and ``reason``."""
    out = {k: v for k, v in facts.items() if k not in ("department_id", "competency_id")}
    out["slope_pp_per_month"] = None if not np.isfinite(slope[0]) else round(slope[0] * 100, 2)
    out["slope_ci_pp"] = [
        None if not np.isfinite(v) else round(float(v) * 100, 2) for v in slope[1:3]
    ]
    out["reason"] = reason(facts)
    out["text"] = out["reason"]
    return json.dumps(out)
