"""The page header's freshness line: "Last refresh 12 min ago", and a warning when a scheduled
step failed or is overdue (from the scheduler status the web edge injects through the hooks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LABELS = {"refresh": "refresh", "models": "model run", "alerts": "alert run"}


@dataclass(frozen=True)
class Freshness:
    """What the header shows: one line, and warnings (empty when all is well)."""

    text: str
    warnings: list[str] = field(default_factory=list)


def ago(seconds: float) -> str:
    """``just now``, ``12 min ago``, ``3 h ago``, ``2 days ago``."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86_400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86_400)} days ago"


def freshness(status: dict[str, Any] | None) -> Freshness | None:
    """The header content for a scheduler status (None when no scheduler ever ran)."""
    if not status or status.get("status") in (None, "not_run", "unknown"):
        return None
    steps: dict[str, dict[str, Any]] = status.get("steps", {})
    since = steps.get("refresh", {}).get("seconds_since_ok")
    text = "No successful refresh yet" if since is None else f"Last refresh {ago(since)}"
    warnings = []
    for step, label in LABELS.items():
        h = steps.get(step, {})
        if h.get("failed"):
            warnings.append(f"The last scheduled {label} failed; figures may be out of date.")
        elif h.get("overdue"):
            warnings.append(f"The scheduled {label} is overdue; figures may be out of date.")
    return Freshness(text, warnings)
