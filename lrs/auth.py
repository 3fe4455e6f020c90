"""HTTP Basic authentication and xAPI scopes: ``@require(...)`` on every protected view."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from lrs.credentials import usable
from lrs.extensions import services
from statements.errors import Forbidden, Unauthorized
from statements.store.base import Credential
from statements.timefmt import format_us

F = TypeVar("F", bound=Callable[..., Any])

# A scope grants itself and everything listed for it.
IMPLIED = {
    "all": {"statements/write", "statements/read", "all/read", "state", "define", "profile"},
    "all/read": {"statements/read"},
    "statements/read": {"statements/read/mine"},
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    credential: Credential

    @property
    def scopes(self) -> set[str]:
        """Granted scopes, with implied ones expanded."""
        out: set[str] = set()
        todo = list(self.credential.scopes)
        while todo:
            scope = todo.pop()
            if scope not in out:
                out.add(scope)
                todo.extend(IMPLIED.get(scope, ()))
        return out

    def has_any(self, *wanted: str) -> bool:
        """True when any of ``wanted`` is granted."""
        return bool(self.scopes.intersection(wanted))

    @property
    def only_mine(self) -> bool:
        """True when the caller may read only statements it stored itself."""
        return "statements/read" not in self.scopes


def authenticate() -> Principal:
    """The caller of this request, or ``Unauthorized``."""
    cached = g.get("principal")
    if cached is not None:
        return cast(Principal, cached)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        raise Unauthorized("HTTP Basic credentials required")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed Basic credentials") from exc
    key, sep, secret = decoded.partition(":")
    if not sep:
        raise Unauthorized("malformed Basic credentials")
    svc = services()
    cred = svc.store.get_credential(key)
    now = svc.clock()
    if cred is None or not usable(cred, now):
        svc.verifier.refuse(secret)  # the same argon2 cost as a wrong secret
        raise Unauthorized("unknown, revoked or expired credentials")
    if not svc.verifier.verify(cred, secret):
        raise Unauthorized("unknown, revoked or expired credentials")
    if svc.uses.due(cred.key, now):
        svc.store.touch_credential(cred.key, format_us(now))
    principal = Principal(cred)
    g.principal = principal
    return principal


def require(*scopes: str, people: bool = False, people_admin: bool = False) -> Callable[[F], F]:
    """Decorator: authenticate and demand any one of ``scopes``.

    ``people=True`` also admits a signed-in person's ``GET`` (dashboard session, no
    Authorization header; see :mod:`lrs.api.people_scope`): the view then filters to their units.
    ``people_admin=True`` admits a person with the admin role and every unit (CSRF header on
    writes).
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if people or people_admin:
                from lrs.api.people_scope import admit_admin_person, admit_person

                if (admit_admin_person if people_admin else admit_person)():
                    return view(*args, **kwargs)
            principal = authenticate()
            if not principal.has_any(*scopes):
                raise Forbidden(f"requires one of the scopes: {', '.join(scopes)}")
            return view(*args, **kwargs)

        wrapper.required_scopes = scopes  # type: ignore[attr-defined]
        wrapper.admits_people = people or people_admin  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate
