"""Who may see what, and the hooks the web edge injects (dashboards never import ``lrs``).

Scopes: ``analytics/read`` shows aggregates only; ``analytics/staff`` shows staff-level rows
too and implies ``analytics/read``. A credential with neither sees nothing (not even ``all``
or ``admin``: analytics access is granted explicitly). Every staff-level view is audited
through :attr:`Hooks.audit`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dashboards.data import WarehouseSource

READ = "analytics/read"
STAFF = "analytics/staff"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person looking at the dashboards."""

    key: str
    name: str
    scopes: frozenset[str]

    @property
    def can_read(self) -> bool:
        """May see aggregate dashboards."""
        return bool(self.scopes & {READ, STAFF})

    @property
    def can_staff(self) -> bool:
        """May see staff-level rows (names, clearance lists, CSV exports)."""
        return STAFF in self.scopes


def no_activity_names(ids: Sequence[str]) -> dict[str, str]:
    """The default lookup of activity names: none known (labels fall back to the warehouse)."""
    return {}


def no_scheduler() -> dict[str, Any] | None:
    """The default scheduler status: none (no freshness line in the header)."""
    return None


@dataclass
class Hooks:
    """What the dashboards need from the application that mounts them."""

    source: WarehouseSource
    viewer: Callable[[], Viewer | None]
    audit: Callable[[Viewer, str, dict[str, Any]], None]
    csrf_token: Callable[[], str]
    now: Callable[[], dt.datetime]
    sign_in_url: str = "/dashboards/sign-in"
    sign_out_url: str = "/dashboards/sign-out"
    #: the scheduler's status (``analytics.notify.schedule.scheduler_status``) for the header
    scheduler: Callable[[], dict[str, Any] | None] = no_scheduler
    target_compliance: float = 0.9
    target_readiness: float = 0.8
    #: activity id -> display name (from the LRS's canonical activity definitions)
    activity_names: Callable[[Sequence[str]], dict[str, str]] = no_activity_names
    #: the alerts store (:mod:`statements.alerts`) for the subscriptions page; None: no page
    alerts_store: Callable[[], Any] | None = None
