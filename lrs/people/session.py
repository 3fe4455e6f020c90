"""Server-side dashboard sessions for people (local password, demo, or OpenID Connect).

Why server-side records rather than a self-contained signed cookie: sign-out must be real (a
copied cookie is worthless once its session is ended), the idle and absolute timeouts are
enforced by the server, and disabling or removing a person ends their open sessions at once.
The signed Flask cookie (``SECRET_KEY``; HttpOnly, SameSite=Lax, Secure on HTTPS, path
``/dashboards``) carries only a random session id and the CSRF token; the store keeps the
sha256 of the id with the person, the method, the access granted and the timestamps.

Each sign-in makes a new id (rotation: a session id planted before sign-in is never promoted).
For ``local`` and ``demo`` sessions every request re-reads the person, so role, scope and
disabled changes apply at once; ``oidc`` sessions keep the access mapped at sign-in until they
end. Interface for other sign-in methods: /work/coord/i20-interface.md, docs/people.md.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Flask, current_app, session

from lrs.audit import audit_event
from lrs.extensions import services
from statements.people import Person, SessionRecord

SignOutHook = Callable[[SessionRecord], "str | None"]
TOUCH_EVERY_US = 60 * 1_000_000  # write last-seen at most once a minute per session
_HOOKS = "people_sign_out_hooks"
_BUTTONS = "people_sign_in_buttons"


class NoAccess(Exception):
    """The person may not use the dashboards (disabled, no role, or a scope of no unit)."""


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def actor(person_id: str) -> str:
    """How a person appears as the actor of audit entries."""
    return f"person:{person_id}"


def start_session(
    person: Person, method: str = "local", extra: dict[str, Any] | None = None
) -> str:
    """Start a session for ``person`` in the current request; returns the new session id.

    Clears whatever the cookie held (rotation), stores the record, issues a fresh CSRF token and
    audits ``people.sign_in``. Raises :class:`NoAccess` for a disabled person or one whose
    access grants nothing (call :func:`refuse` then).
    """
    if person.disabled or not person.access.can_read:
        raise NoAccess(person.id)
    svc = services()
    now = svc.clock()
    sid = secrets.token_urlsafe(32)
    record = SessionRecord(
        id_hash=_hash(sid),
        person_id=person.id,
        method=method,
        display_name=person.display_name,
        email=person.email,
        access=person.access,
        created_us=now,
        last_seen_us=now,
        extra=dict(extra or {}),
    )
    previous = session.get("sid")
    if isinstance(previous, str):  # signing in again ends the session the cookie held
        svc.store.end_session(_hash(previous))
    svc.store.add_session(record)
    session.clear()
    session.permanent = True
    session.update(sid=sid, csrf=secrets.token_urlsafe(32))
    detail = {
        "method": method,
        "roles": list(person.access.roles),
        "scope": person.access.scope.as_text(),
    }
    audit_event("people.sign_in", detail, actor=actor(person.id))
    return sid


def refuse(reason: str, who: str = "anonymous", method: str = "local") -> None:
    """Audit a refused sign-in (``people.sign_in_refused``); ``who`` is never a secret."""
    audit_event("people.sign_in_refused", {"method": method, "reason": reason}, actor=who)


def _expired(record: SessionRecord, now: int) -> bool:
    settings = services().settings
    idle = settings.session_idle_minutes * 60 * 1_000_000
    absolute = settings.session_absolute_hours * 3600 * 1_000_000
    return now - record.last_seen_us > idle or now - record.created_us > absolute


def current_session() -> SessionRecord | None:
    """The live session of this request (timeouts and person re-checked), else None.

    An ended, expired or orphaned session is ended in the store and dropped from the cookie.
    """
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    svc = services()
    store, now = svc.store, svc.clock()
    record: SessionRecord | None = store.get_session(_hash(sid))
    live = record is not None and not record.ended and not _expired(record, now)
    if record is not None and live and record.method != "oidc":
        person = store.get_person(record.person_id)
        if person is None or person.disabled or not person.access.can_read:
            live = False
        else:
            record = _refreshed(record, person)
    if record is None or not live:
        if record is not None:
            store.end_session(record.id_hash)
        session.pop("sid", None)
        return None
    if now - record.last_seen_us >= TOUCH_EVERY_US:
        store.touch_session(record.id_hash, now)
    return record


def _refreshed(record: SessionRecord, person: Person) -> SessionRecord:
    return replace(
        record, access=person.access, display_name=person.display_name, email=person.email
    )


def end_current_session() -> SessionRecord | None:
    """End this request's session (if any), audit ``people.sign_out`` and clear the cookie."""
    sid = session.get("sid")
    session.clear()
    if not isinstance(sid, str):
        return None
    store = services().store
    record: SessionRecord | None = store.get_session(_hash(sid))
    if record is None or not store.end_session(record.id_hash):
        return None
    audit_event("people.sign_out", {"method": record.method}, actor=actor(record.person_id))
    return record


def register_sign_out_hook(app: Flask, hook: SignOutHook) -> None:
    """Call ``hook(record)`` after a session ends; a returned URL is where the browser goes."""
    app.extensions.setdefault(_HOOKS, []).append(hook)


def after_sign_out(record: SessionRecord) -> str | None:
    """Run the sign-out hooks; the first URL one returns (RP-initiated logout), else None."""
    hooks: list[SignOutHook] = current_app.extensions.get(_HOOKS, [])
    for hook in hooks:
        url = hook(record)
        if url:
            return url
    return None


def add_sign_in_button(app: Flask, label: str, href: str) -> None:
    """Show a "Sign in with ``label``" button linking to ``href`` on the sign-in page."""
    app.extensions.setdefault(_BUTTONS, []).append((label, href))


def sign_in_buttons() -> list[tuple[str, str]]:
    """(label, href) of every extra sign-in method, in registration order."""
    found: list[tuple[str, str]] = current_app.extensions.get(_BUTTONS, [])
    return found
