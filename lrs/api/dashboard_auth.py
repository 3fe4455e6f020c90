"""Browser sign-in for the dashboards and the hooks that mount them (``/dashboards/sign-in``).

Design: the dashboards package may not import ``lrs`` (layers), so this module owns sign-in
and hands :func:`dashboards.pages.init_app` a :class:`~dashboards.access.Hooks` with callables
for the current viewer, auditing and CSRF. Cookie: HttpOnly, SameSite=Lax, path
``/dashboards``, Secure whenever the request is HTTPS; every form carries a CSRF token.

People sign in as themselves (email + password + optional TOTP, the demo leader's one-click
button, or a provider registered through :func:`lrs.people.session.add_sign_in_button`); their
sessions are server-side records (:mod:`lrs.people.session`). The administrators' fallback —
an API key + secret with an analytics scope, all units — stays while
``LRS_DASHBOARD_KEY_SIGN_IN`` is true: the signed cookie then holds only the credential key and
a fingerprint of its secret hash, and every request re-reads the credential, so revoking it or
rotating its secret ends the session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    redirect,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface

from dashboards.access import READ, STAFF, Hooks, Viewer
from dashboards.data import WarehouseSource
from dashboards.pages import init_app as init_dashboards
from dashboards.pages import secure_headers
from lrs.audit import audit_event
from lrs.credentials import usable
from lrs.extensions import services
from lrs.people import signin
from lrs.people.session import (
    actor,
    after_sign_out,
    current_session,
    end_current_session,
    sign_in_buttons,
)
from statements.store.base import Credential

bp = Blueprint("dashboard_auth", __name__, url_prefix="/dashboards")
bp.after_request(secure_headers)


class _SessionInterface(SecureCookieSessionInterface):
    """Secure cookies whenever the request came over TLS (or the app config says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def _fingerprint(cred: Credential) -> str:
    return hashlib.sha256(cred.secret_hash.encode()).hexdigest()[:32]


def _scopes(cred: Credential) -> frozenset[str]:
    granted = set(cred.scopes)
    if STAFF in granted:
        granted.add(READ)
    return frozenset(granted)


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    kept = session.get("csrf")
    return isinstance(kept, str) and bool(sent) and hmac.compare_digest(sent, kept)


def current_viewer() -> Viewer | None:
    """The signed-in person or credential, re-checked against the store (None when signed
    out, timed out, disabled or revoked)."""
    record = current_session()
    if record is not None:
        return Viewer(key=actor(record.person_id), name=record.display_name, access=record.access)
    if not services().settings.dashboard_key_sign_in:
        return None
    key, fp = session.get("viewer_key"), session.get("viewer_fp")
    if not isinstance(key, str) or not isinstance(fp, str):
        return None
    cred = services().store.get_credential(key)
    if (
        cred is None
        or not usable(cred, services().clock())
        or not hmac.compare_digest(_fingerprint(cred), fp)
    ):
        session.pop("viewer_key", None)
        return None
    return Viewer(key=cred.key, name=cred.name, scopes=_scopes(cred))


def _safe_next(raw: str) -> str:
    if raw.startswith("/dashboards/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/dashboards/"


def _warehouse_is_demo() -> bool:
    try:
        with init_hooks().source.reader() as r:
            return r.has("demo_marker")
    except Exception:  # no warehouse yet (NoData) or unreadable: no demo button
        return False


def init_hooks() -> Hooks:
    """The dashboards' hooks of the current app."""
    from flask import current_app

    found: Hooks = current_app.extensions["dashboards"]
    return found


SIGNED_OUT_URL = "/dashboards/sign-in?signed-out=1"


def _form(error: str = "", status: int = 200) -> Response:
    html = render_template(
        "dashboards/signin.html",
        error=error,
        notice="You have signed out." if "signed-out" in request.args and not error else "",
        csrf_token=csrf_token(),
        next=_safe_next(request.values.get("next", "")),
        action="/dashboards/sign-in",
        viewer=None,
        nav=(),
        demo=False,
        demo_sign_in=signin.demo_available(_warehouse_is_demo()),
        buttons=sign_in_buttons(),
        key_sign_in=services().settings.dashboard_key_sign_in,
        query="",
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/sign-in")
def sign_in_form() -> Response:
    """The sign-in form."""
    return _form()


@bp.post("/sign-in")
def sign_in() -> Any:
    """A person's email + password (+ code), or the key + secret fallback; start a session."""
    if not _csrf_ok():
        return _form("The form expired; please sign in again.", 400)
    if "email" in request.form or not services().settings.dashboard_key_sign_in:
        error, status = signin.password_sign_in()
        if status != 303:
            return _form(error, status)
        return redirect(_safe_next(request.form.get("next", "")), code=303)
    return _key_sign_in()


@bp.post("/sign-in/demo")
def demo_sign_in() -> Any:
    """One click: sign in as the demo hospital's leader (only where the demo is loaded)."""
    if not _csrf_ok():
        return _form("The form expired; please sign in again.", 400)
    if not _warehouse_is_demo():
        return _form("There is no demo hospital on this server.", 404)
    error, status = signin.demo_sign_in()
    if status != 303:
        return _form(error, status)
    return redirect("/dashboards/", code=303)


def _key_sign_in() -> Any:
    key, secret = request.form.get("key", "").strip(), request.form.get("secret", "")
    svc = services()
    cred = svc.store.get_credential(key) if key else None
    if cred is None or not usable(cred, svc.clock()) or not svc.verifier.verify(cred, secret):
        audit_event("people.sign_in_refused", {"method": "key", "reason": "wrong key or secret"})
        return _form("Unknown key or wrong secret.", 401)
    scopes = _scopes(cred)
    if not scopes & {READ, STAFF}:
        audit_event(
            "people.sign_in_refused", {"method": "key", "reason": "no analytics scope"}, cred.key
        )
        return _form(
            "This credential has no analytics scope (analytics/read or "
            "analytics/staff); ask an administrator for one.",
            403,
        )
    session.clear()
    session.permanent = True
    session.update(
        viewer_key=cred.key, viewer_fp=_fingerprint(cred), csrf=secrets.token_urlsafe(32)
    )
    audit_event("dashboard.sign_in", {"scopes": sorted(scopes)}, actor=cred.key)
    return redirect(_safe_next(request.form.get("next", "")), code=303)


@bp.post("/sign-out")
def sign_out() -> Any:
    """End the session (CSRF-checked); a sign-out hook may send the browser on (RP logout)."""
    if not _csrf_ok():
        return _form("The form expired; please sign in again.", 400)
    key = session.get("viewer_key")
    record = end_current_session()
    if record is not None:
        return redirect(after_sign_out(record) or SIGNED_OUT_URL, code=303)
    if isinstance(key, str):
        audit_event("dashboard.sign_out", {}, actor=key)
    return redirect(SIGNED_OUT_URL, code=303)


def _audit(viewer: Viewer, action: str, detail: dict[str, Any]) -> None:
    audit_event(action, detail, actor=viewer.key)


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp(services().clock() / 1_000_000, dt.UTC)


def _activity_names(ids: Sequence[str]) -> dict[str, str]:
    """Display names of activities from their canonical definitions in the store."""
    out: dict[str, str] = {}
    store = services().store
    for activity_id in ids:
        found = store.get_activity(activity_id)
        definition = (found or {}).get("definition") or {}
        names = definition.get("name") if isinstance(definition, dict) else None
        if isinstance(names, dict) and names:
            pick = names.get("en-US") or names.get("en") or next(iter(names.values()))
            if isinstance(pick, str) and pick.strip():
                out[activity_id] = pick.strip()
    return out


def _alerts_store() -> Any:
    """The alerts tables beside this app's store (for the subscriptions page)."""
    from statements.alerts.store import alerts_store

    return alerts_store(services().store)


def install(app: Flask) -> None:
    """Configure the session cookie, register sign-in/out and mount the dashboards."""
    app.config["SESSION_COOKIE_NAME"] = "lrs_dashboards"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_PATH"] = "/"  # the dashboards and /analytics/* reads
    settings = services(app).settings
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=settings.session_absolute_hours)
    app.session_interface = _SessionInterface()
    app.register_blueprint(bp)
    hooks = Hooks(
        source=WarehouseSource(settings.resolved_warehouse_path),
        viewer=current_viewer,
        scheduler=_scheduler_status,
        audit=_audit,
        csrf_token=csrf_token,
        now=_now,
        activity_names=_activity_names,
        alerts_store=_alerts_store,
    )
    init_dashboards(app, hooks)


def _scheduler_status() -> dict[str, Any] | None:
    """The scheduler's status for the dashboards' header (from the store's run records)."""
    from analytics.notify.schedule import scheduler_status

    svc = services()
    return scheduler_status(svc.store, svc.settings, _now())
