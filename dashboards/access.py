"""Who may see what, and the hooks the web edge injects (dashboards never import ``lrs``).

Two kinds of viewer. A *person* (``Viewer.access`` set) has roles and a unit scope
(:mod:`statements.people`): every query filters to the scope's departments and a URL naming
another unit's department is refused (:class:`OutOfScope`, 403). An *API credential* signed in
through the administrators' key/secret fallback (``access`` None) sees all units, by scope:
``analytics/read`` shows aggregates only; ``analytics/staff`` shows staff-level rows too and
implies ``analytics/read``. A credential with neither sees nothing (not even ``all`` or
``admin``: analytics access is granted explicitly). Every staff-level view is audited through
:attr:`Hooks.audit`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dashboards.data import WarehouseSource
from statements.people import Access, Scope

READ = "analytics/read"
STAFF = "analytics/staff"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person looking at the dashboards."""

    key: str
    name: str
    scopes: frozenset[str] = frozenset()
    #: a person's roles and unit scope; None for an API credential (scopes decide; all units)
    access: Access | None = None

    @property
    def scope(self) -> Scope:
        """The units this viewer sees (an API credential sees all)."""
        return self.access.scope if self.access is not None else Scope(all=True)

    @property
    def can_read(self) -> bool:
        """May see aggregate dashboards."""
        if self.access is not None:
            return self.access.can_read
        return bool(self.scopes & {READ, STAFF})

    @property
    def can_staff(self) -> bool:
        """May see staff-level rows in department drill-downs."""
        if self.access is not None:
            return self.access.can_staff
        return STAFF in self.scopes

    @property
    def can_clearance(self) -> bool:
        """May see who is cleared (clearance lists on the expiry page and their CSV)."""
        if self.access is not None:
            return self.access.can_clearance
        return STAFF in self.scopes

    @property
    def can_retraining(self) -> bool:
        """May see the retraining views (protocol-change burn-down)."""
        if self.access is not None:
            return self.access.can_retraining
        return self.can_read


class OutOfScope(Exception):
    """The page names a unit outside the viewer's scope (answered with 403)."""


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
