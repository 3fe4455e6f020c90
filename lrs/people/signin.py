"""The people's side of ``/dashboards/sign-in``: email + password (+ TOTP) and the demo button.

:mod:`lrs.api.dashboard_auth` owns the routes and the form; these functions check a posted
form and start a session (:mod:`lrs.people.session`), or say why not. Every refusal is
audited as ``people.sign_in_refused`` with the reason (never the password or the code), with
actor ``email:<address>``; ten refusals of one email within 15 minutes lock that email's
password sign-in until they age out (429), counted from the audit log so every worker agrees.
"""

from __future__ import annotations

from flask import request

from lrs.extensions import services
from lrs.people.passwords import totp_ok, verify_password
from lrs.people.session import NoAccess, actor, refuse, start_session
from statements.people import Person

DEMO_PERSON_ID = "demo-leader"
WRONG = "Unknown email or wrong password."
LOCK_AFTER = 10  # refused password sign-ins of one email …
LOCK_WINDOW_US = 15 * 60 * 1_000_000  # … within 15 minutes lock that email for the rest of it


def _locked(who: str) -> bool:
    """True when ``who`` was refused LOCK_AFTER times within the window (from the audit log)."""
    svc = services()
    recent = svc.store.list_audit(since_us=svc.clock() - LOCK_WINDOW_US, actor=who)
    refused: int = sum(e.action == "people.sign_in_refused" for e in recent)
    return refused >= LOCK_AFTER


def password_sign_in() -> tuple[str, int]:
    """Check the posted email, password and code; ("", 303) when a session started."""
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    who = f"email:{email[:120]}" if email else "anonymous"
    if email and _locked(who):
        refuse("too many refused sign-ins; locked for 15 minutes", who=who)
        return "Too many failed sign-ins for this email; try again in 15 minutes.", 429
    svc = services()
    person: Person | None = svc.store.get_person_by_email(email) if email else None
    if not verify_password(person.password_hash if person else None, password) or person is None:
        refuse("wrong email or password", who=who)
        return WRONG, 401
    if person.totp_secret:
        code = request.form.get("code", "")
        if not totp_ok(person.totp_secret, code, svc.clock() / 1_000_000):
            refuse("missing or wrong TOTP code", who=who)
            return "This account needs the 6-digit code from your authenticator app.", 401
    return _start(person, "local")


def _start(person: Person, method: str) -> tuple[str, int]:
    try:
        start_session(person, method)
    except NoAccess:
        why = "disabled" if person.disabled else "no role or no unit"
        refuse(why, who=actor(person.id), method=method)
        return "This account has no access to the dashboards; ask an administrator.", 403
    return "", 303


def demo_person() -> Person | None:
    """The demo leader, when this installation holds the demo hospital (else None)."""
    person: Person | None = services().store.get_person(DEMO_PERSON_ID)
    return person if person is not None and not person.disabled else None


def demo_available(warehouse_is_demo: bool) -> bool:
    """Show the one-click demo button: the demo leader exists and the warehouse is the demo."""
    return warehouse_is_demo and demo_person() is not None


def demo_sign_in() -> tuple[str, int]:
    """Sign in as the demo leader (only meaningful when :func:`demo_available`)."""
    person = demo_person()
    if person is None:
        refuse("no demo hospital here", method="demo")
        return "There is no demo hospital on this server.", 404
    return _start(person, "demo")
