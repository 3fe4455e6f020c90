"""People on the ``/analytics/*`` read endpoints: their session, their units, in the query.

A ``GET`` without an ``Authorization`` header but with a live dashboard session (the signed
cookie of :mod:`lrs.people.session`) is a person's read: :func:`admit_person` records their
access for the request, and every read endpoint adds :func:`dept_condition` to its SQL, so the
rows of other units never leave the warehouse. A ``department_id`` parameter naming another
unit is refused with 403 (``department_id`` checks in the views). API credentials keep today's
behaviour: scopes decide, every unit. The admin endpoints (SQL, unmatched actors) admit only a
person with the admin role and every unit (:func:`admit_admin_person`); their writes need the
session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import g, request, session

from dashboards.queries.common import scope_where
from lrs.people.session import actor, current_session
from statements.errors import Forbidden
from statements.people import Access


def admit_person() -> bool:
    """True when this request is a person's read (session, GET/HEAD, no Authorization).

    Raises Forbidden when the person's access grants no dashboards at all.
    """
    if request.method not in ("GET", "HEAD") or request.headers.get("Authorization"):
        return False
    record = current_session()
    if record is None:
        return False
    if not record.access.can_read:
        raise Forbidden("your account has no role or no unit")
    g.person_access = record.access
    g.person_actor = actor(record.person_id)
    return True


def admit_admin_person() -> bool:
    """True when this request is an admin person's (admin role, all units), any method.

    A write must carry the session's CSRF token in ``X-CSRF-Token`` (403 without it).
    """
    if request.headers.get("Authorization"):
        return False
    record = current_session()
    if record is None:
        return False
    if not (record.access.can_admin and record.access.scope.all):
        raise Forbidden("needs a person with the admin role and every unit")
    if request.method not in ("GET", "HEAD"):
        sent, kept = request.headers.get("X-CSRF-Token", ""), session.get("csrf")
        if not (isinstance(kept, str) and sent and hmac.compare_digest(sent, kept)):
            raise Forbidden("X-CSRF-Token header missing or wrong")
    g.person_access = record.access
    g.person_actor = actor(record.person_id)
    return True


def person_access() -> Access | None:
    """The person's access on this request (None for an API credential)."""
    found: Access | None = g.get("person_access")
    return found


def dept_condition(column: str = "department_id") -> tuple[str, list[Any]]:
    """SQL keeping only the person's departments in ``column`` (``true`` for all units)."""
    access = person_access()
    if access is None or access.scope.all:
        return "true", []
    where, params = scope_where(access.scope)
    return f"{column} IN (SELECT d.department_id FROM departments d WHERE {where})", params


def scoped() -> bool:
    """True when this request must be filtered to a person's units."""
    access = person_access()
    return access is not None and not access.scope.all
