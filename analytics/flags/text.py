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


def _declining(facts: dict[str, Any]) -> str:
    since = facts["since"] or "the start of the window"
    return (
        f"{facts['open_since']} of {facts['dues_since']} {facts['competency_id']} renewals due "
        f"since {since[:7]} are still open; about {facts['expected_open']:.0f} would be "
        f"expected at this unit's usual renewal pace (evidence of missed renewals: "
        f"log e = {facts['log_e']:.1f} against an alarm level of {facts['log_e_threshold']:.1f}; "
        f"about {facts['pi']:.0%} of renewals missed fits best)."
    )


def _low(facts: dict[str, Any]) -> str:
    return (
        f"Compliance is {_pct(facts['current'])} ({facts['n_compliant']} of {facts['n']} "
        f"established staff); over the last {facts.get('low_months', 6)} months it averaged "
        f"{_pct(facts['low_rate'])}, below the lower limit of {_pct(facts['low_limit'])} "
        "expected for a unit of this size when comparable departments are at "
        f"{_pct(facts['peer_rate'])}."
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
        low_rate = facts.get("low_rate")
        if facts["low_limit"] is not None and (low_rate or 1) < facts["low_limit"]:
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
