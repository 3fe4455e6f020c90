"""When each scheduled step is due, and whether it is healthy: pure functions of the runs.

Steps run in order ``refresh -> models -> alerts``. ``refresh`` is due every
``schedule_refresh_minutes``; ``models`` once a day at ``schedule_models_hour`` (UTC), and again
one refresh interval after a failure or a skip (nothing to model yet); ``alerts`` runs after
every models run that ended ``ok``. A step is *overdue* when its last success is older than
``schedule_overdue_factor`` periods (or, never having succeeded, its first attempt is).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from config.settings import Settings
from statements.store.schedule import ScheduledRun

STEPS = ("refresh", "models", "alerts")
ATTEMPTS = ("ok", "failed", "running")
TRIED = (*ATTEMPTS, "skipped")
DAY_S = 86_400.0


def at_us(moment: datetime) -> int:
    """Microseconds since the epoch of a tz-aware datetime."""
    return int(moment.timestamp() * 1_000_000)


def from_us(value: int) -> datetime:
    """The UTC datetime of microseconds since the epoch."""
    return datetime.fromtimestamp(value / 1_000_000, UTC)


def _last(runs: Sequence[ScheduledRun], step: str, outcomes: Sequence[str]) -> ScheduledRun | None:
    found = [r for r in runs if r.step == step and r.outcome in outcomes]
    return max(found, key=lambda r: r.started_us, default=None)


def models_slot(settings: Settings, now: datetime) -> datetime:
    """The latest nightly models time at or before ``now``."""
    slot = now.astimezone(UTC).replace(
        hour=settings.schedule_models_hour, minute=0, second=0, microsecond=0
    )
    return slot if slot <= now else slot - timedelta(days=1)


def refresh_due(runs: Sequence[ScheduledRun], settings: Settings, now: datetime) -> bool:
    """True when no refresh was attempted in the last refresh interval."""
    last = _last(runs, "refresh", TRIED)
    interval = settings.schedule_refresh_minutes * 60_000_000
    return last is None or at_us(now) - last.started_us >= interval


def models_due(runs: Sequence[ScheduledRun], settings: Settings, now: datetime) -> bool:
    """True when tonight's slot has passed without an attempt, or a failed or skipped run
    awaits its retry (one refresh interval later)."""
    last = _last(runs, "models", TRIED)
    if last is None:
        return True
    if last.started_us < at_us(models_slot(settings, now)):
        return True
    retry = settings.schedule_refresh_minutes * 60_000_000
    return last.outcome in ("failed", "skipped") and at_us(now) - last.started_us >= retry


def period_s(settings: Settings, step: str) -> float:
    """How often a healthy ``step`` succeeds, in seconds."""
    return settings.schedule_refresh_minutes * 60.0 if step == "refresh" else DAY_S


def step_health(
    runs: Sequence[ScheduledRun], settings: Settings, now: datetime
) -> dict[str, dict[str, Any]]:
    """Per step: last success, last run and outcome, seconds since success, overdue, failed."""
    health: dict[str, dict[str, Any]] = {}
    now_us = at_us(now)
    for step in STEPS:
        mine = [r for r in runs if r.step == step]
        ok = _last(mine, step, ("ok",))
        last = max(mine, key=lambda r: r.started_us, default=None)
        finished = _last(mine, step, ("ok", "failed"))
        limit = period_s(settings, step) * settings.schedule_overdue_factor
        ok_us = (ok.ended_us or ok.started_us) if ok else None
        since = (now_us - ok_us) / 1e6 if ok_us is not None else None
        first = min((r.started_us for r in mine if r.outcome in ATTEMPTS), default=None)
        never_ok_for = (now_us - first) / 1e6 if first is not None and ok is None else None
        health[step] = {
            "last_ok_at": from_us(ok_us).isoformat() if ok_us is not None else None,
            "last_run_at": from_us(last.started_us).isoformat() if last else None,
            "last_outcome": last.outcome if last else None,
            "seconds_since_ok": since,
            "overdue": (since is not None and since > limit)
            or (never_ok_for is not None and never_ok_for > limit),
            "failed": finished is not None and finished.outcome == "failed",
        }
    return health


def scheduler_status(store: Any, settings: Settings, now: datetime) -> dict[str, Any]:
    """``status`` (``not_run``, ``ok``, ``overdue`` or ``failed``) and each step's health."""
    runs = store.list_runs(limit=200)
    health = step_health(runs, settings, now)
    if not runs:
        status = "not_run"
    elif any(h["failed"] for h in health.values()):
        status = "failed"
    elif any(h["overdue"] for h in health.values()):
        status = "overdue"
    else:
        status = "ok"
    return {"status": status, "steps": health}
