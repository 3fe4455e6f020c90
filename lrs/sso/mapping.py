"""Roles and unit scopes from the provider's group claim, through ``LRS_OIDC_GROUP_MAP``.

The map is JSON: ``{"<group>": {"roles": ["viewer", ...], "scope": "all" | "site:X,..."}}``.
A person gets the union of the roles and scopes of every mapped group they are in; a person in
no mapped group gets :class:`~statements.people.Access` with no roles, i.e. no access.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from statements.people import ROLES, Access, Scope, ScopeError, parse_roles

SETTING = "LRS_OIDC_GROUP_MAP"


def parse_group_map(text: str) -> dict[str, Access]:
    """Read and check the map; ``ValueError`` names the setting, the group and the rule."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{SETTING} is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f'{SETTING} must be a JSON object: {{"group": {{"roles": [...]}}}}')
    return {str(group): _grant(str(group), entry) for group, entry in raw.items()}


def _grant(group: str, entry: Any) -> Access:
    if not isinstance(entry, dict) or set(entry) - {"roles", "scope"}:
        raise ValueError(f'{SETTING}[{group!r}] must be {{"roles": [...], "scope": "..."}}')
    roles, scope = entry.get("roles", []), entry.get("scope", "")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) or not roles:
        raise ValueError(f"{SETTING}[{group!r}].roles must be a non-empty list of {ROLES}")
    if not isinstance(scope, str) or not scope.strip():
        raise ValueError(f'{SETTING}[{group!r}].scope must be "all" or "site:X,department:Y"')
    try:
        return Access(roles=parse_roles(",".join(roles)), scope=Scope.parse(scope))
    except ScopeError as exc:
        raise ValueError(f"{SETTING}[{group!r}]: {exc}") from exc


def claimed_groups(claims: Mapping[str, Any], claim: str) -> tuple[str, ...]:
    """The group names in ``claims[claim]`` (a list, or one string); () when absent."""
    value = claims.get(claim)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def access_for(groups: tuple[str, ...], group_map: Mapping[str, Access]) -> Access:
    """The union of the mapped groups' access (no mapped group: no roles, no units)."""
    grants = [group_map[g] for g in groups if g in group_map]
    if not grants:
        return Access()
    roles = {r for grant in grants for r in grant.roles}
    scopes = [grant.scope for grant in grants]
    if any(s.all for s in scopes):
        scope = Scope(all=True)
    else:
        scope = Scope(
            sites=_union(s.sites for s in scopes),
            service_lines=_union(s.service_lines for s in scopes),
            departments=_union(s.departments for s in scopes),
        )
    return Access(roles=tuple(r for r in ROLES if r in roles), scope=scope)


def _union(parts: Any) -> tuple[str, ...]:
    return tuple(sorted({item for part in parts for item in part}))
