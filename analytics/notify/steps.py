"""The scheduled steps: refresh, models and the alerts hook (``analytics.notify.alerts``).

Each step is ``(settings, now) -> counts`` and opens what it needs from the settings. A step
with nothing to do raises :class:`~analytics.notify.scheduler.StepSkipped`: a fresh LRS with no
warehouse or no imported staff is not a failure.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from analytics.etl import refresh
from analytics.model_settings import from_settings
from analytics.notify.scheduler import StepFn, StepSkipped
from analytics.resources import secret_for, warehouse_for
from analytics.run_models import run_models
from analytics.warehouse import WarehouseMissing
from config.settings import Settings
from statements.errors import Conflict
from statements.store import open_store

ALERTS_MODULE = "analytics.notify.alerts"
ALERTS_FUNCTION = "run_alerts_step"


def refresh_step(settings: Settings, now: datetime) -> dict[str, Any]:
    """Load statements stored since the last refresh (atomic warehouse write)."""
    store = open_store(settings.resolved_store_url)
    store.init()
    try:
        result = refresh(
            store, warehouse_for(settings), secret_for(settings), batch_size=settings.etl_batch_size
        )
    finally:
        store.close()
    return {"loaded": result.loaded, "voided": result.voided, "last_seq": result.last_seq}


def models_step(settings: Settings, now: datetime) -> dict[str, Any]:
    """Recompute the models as of ``now``'s UTC date (atomic warehouse write)."""
    try:
        summary = run_models(warehouse_for(settings), now.date(), *from_settings(settings))
    except WarehouseMissing as exc:
        raise StepSkipped(exc.message) from exc
    except Conflict as exc:
        if any(e.rule == "missing_input" for e in exc.errors):
            raise StepSkipped(exc.message) from exc
        raise
    counts: dict[str, Any] = {"as_of": summary.as_of.isoformat()}
    counts.update({f"flags_{k.lower()}": v for k, v in sorted(summary.flags.items())})
    counts["warnings"] = len(summary.warnings)
    return counts


def alerts_step(settings: Settings, now: datetime) -> dict[str, Any]:
    """Call ``analytics.notify.alerts.run_alerts_step(settings, now)`` when it is installed."""
    try:
        module = importlib.import_module(ALERTS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ALERTS_MODULE:
            raise
        raise StepSkipped("alerts not installed") from exc
    hook = getattr(module, ALERTS_FUNCTION, None)
    if hook is None:
        raise StepSkipped("alerts not installed")
    return dict(hook(settings, now))


def default_steps() -> dict[str, StepFn]:
    """The production steps by name."""
    return {"refresh": refresh_step, "models": models_step, "alerts": alerts_step}
