"""People who sign in to the dashboards: roles, unit scope and server-side session records.

People are apart from API credentials (which stay for content and integrations). A person has
*roles* (what they may do) and a *scope* (which units they see). Role capabilities:

* ``viewer`` — aggregate dashboards only (small-cell suppression applies);
* ``staff`` — staff-level rows (names in drill-downs, clearance lists and CSV);
* ``educator`` — staff-level rows and the retraining views (protocol burn-down);
* ``auditor`` — clearance lists and expiry (with their staff rows);
* ``admin`` — everything, including sandboxed SQL and managing people.

A scope names sites, service lines and departments; ``all`` is explicit and never implied by
empty lists, so ``Scope()`` sees no unit at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("viewer", "staff", "educator", "auditor", "admin")
SCOPE_KINDS = ("site", "service_line", "department")


class ScopeError(ValueError):
    """A scope or role list broke a rule (the message says which)."""


@dataclass(frozen=True)
class Scope:
    """The units a person sees: all, or the union of sites, service lines and departments."""

    all: bool = False
    sites: tuple[str, ...] = ()
    service_lines: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the scope names no unit at all."""
        return not (self.all or self.sites or self.service_lines or self.departments)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``all`` or a comma list of ``site:X``, ``service_line:Y``, ``department:Z``."""
        raw = text.strip()
        if raw == "all":
            return cls(all=True)
        found: dict[str, list[str]] = {kind: [] for kind in SCOPE_KINDS}
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            kind, sep, value = part.partition(":")
            if not sep or kind.strip() not in SCOPE_KINDS or not value.strip():
                raise ScopeError(
                    f"scope item {part!r}: use all, or site:X, service_line:Y, department:Z"
                )
            found[kind.strip()].append(value.strip())
        return cls(
            sites=tuple(sorted(set(found["site"]))),
            service_lines=tuple(sorted(set(found["service_line"]))),
            departments=tuple(sorted(set(found["department"]))),
        )

    def as_text(self) -> str:
        """The :meth:`parse` form of this scope (``""`` for no units)."""
        if self.all:
            return "all"
        items = [f"site:{s}" for s in self.sites]
        items += [f"service_line:{s}" for s in self.service_lines]
        items += [f"department:{d}" for d in self.departments]
        return ",".join(items)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (stored with people and sessions)."""
        return {
            "all": self.all,
            "sites": list(self.sites),
            "service_lines": list(self.service_lines),
            "departments": list(self.departments),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Scope:
        """Inverse of :meth:`as_dict`."""
        return cls(
            all=bool(raw.get("all")),
            sites=tuple(raw.get("sites") or ()),
            service_lines=tuple(raw.get("service_lines") or ()),
            departments=tuple(raw.get("departments") or ()),
        )


def parse_roles(text: str) -> tuple[str, ...]:
    """A comma list of roles (each one of :data:`ROLES`), sorted and de-duplicated."""
    roles = {r.strip() for r in text.split(",") if r.strip()}
    unknown = roles - set(ROLES)
    if unknown:
        raise ScopeError(f"unknown role(s) {sorted(unknown)}: use {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in roles)


@dataclass(frozen=True)
class Access:
    """What a person may do (roles) and see (scope). No roles = no access."""

    roles: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)

    def _any(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))

    @property
    def can_read(self) -> bool:
        """May see aggregate dashboards (any role) of at least one unit."""
        return bool(self.roles) and not self.scope.empty

    @property
    def can_staff(self) -> bool:
        """May see staff-level rows."""
        return self.can_read and self._any("staff", "educator", "admin")

    @property
    def can_retraining(self) -> bool:
        """May see the retraining (protocol-change burn-down) views."""
        return self.can_read and self._any("educator", "admin")

    @property
    def can_clearance(self) -> bool:
        """May see clearance lists and expiry (and export them)."""
        return self.can_read and self._any("auditor", "staff", "educator", "admin")

    @property
    def can_admin(self) -> bool:
        """Everything, including SQL and managing people."""
        return self.can_read and self._any("admin")

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"roles": list(self.roles), "scope": self.scope.as_dict()}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Access:
        """Inverse of :meth:`as_dict`."""
        return cls(
            roles=tuple(raw.get("roles") or ()), scope=Scope.from_dict(raw.get("scope") or {})
        )


@dataclass(frozen=True)
class Person:
    """Someone who signs in to the dashboards (not an API credential)."""

    id: str
    display_name: str
    email: str
    access: Access = field(default_factory=Access)
    password_hash: str | None = None
    totp_secret: str | None = None
    disabled: bool = False
    created: str = ""


@dataclass(frozen=True)
class SessionRecord:
    """A server-side dashboard session: the cookie holds only the id, the store its sha256."""

    id_hash: str
    person_id: str
    method: str
    display_name: str
    email: str
    access: Access
    created_us: int
    last_seen_us: int
    ended: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
