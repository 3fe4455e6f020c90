"""The people's side of ``/dashboards/sign-in``: email + password (+ TOTP) and the demo button.

:mod:`lrs.api.dashboard_auth` owns the routes and the form; these functions check a posted
form and start a session (:mod:`lrs.people.session`), or say why not. Every refusal is
audited as ``people.sign_in_refused`` with the reason (never the password or the code).
"""

from __future__ import annotations

from flask import request

from lrs.extensions import services
from lrs.people.passwords import totp_ok, verify_password
from lrs.people.session import NoAccess, actor, refuse, start_session
from statements.people import Person

DEMO_PERSON_ID = "demo-leader"
WRONG = "Unknown email or wrong password."


def password_sign_in() -> tuple[str, int]:
    """Check the posted email, password and code; ("", 303) when a session started."""
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    svc = services()
    person: Person | None = svc.store.get_person_by_email(email) if email else None
    if not verify_password(person.password_hash if person else None, password) or person is None:
        refuse("wrong email or password", who=f"email:{email[:120]}" if email else "anonymous")
        return WRONG, 401
    if person.totp_secret:
        code = request.form.get("code", "")
        if not totp_ok(person.totp_secret, code, svc.clock() / 1_000_000):
            refuse("missing or wrong TOTP code", who=actor(person.id))
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
