"""Filter keys of a statement: what the ``agent``/``verb``/``activity``/``registration`` query
parameters match, including the ``related_*`` broad forms (xAPI Communication 2.1.3).

Keys are (kind, value) pairs. A store copies the keys of a StatementRef's target onto the
referring statement, so that a statement targeting a matching statement matches too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from statements.ifi import agent_key

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

# Compact form for stores: a key kind is a (family, flag bit). ``agent`` and ``related_agent``
# of one value share a family (and so one interned value), as do ``activity`` and
# ``related_activity``; a statement keeps one row per (family, value) with the bits OR-ed.
KIND_BITS: dict[str, tuple[int, int]] = {
    "agent": (0, 1),
    "related_agent": (0, 2),
    "verb": (1, 1),
    "activity": (2, 1),
    "related_activity": (2, 2),
    "registration": (3, 1),
}


def agent_keys(obj: Any) -> list[str]:
    """IFI keys of an Agent or Group and, for a Group, of its members (what ``related_agent``
    holds for it)."""
    if not isinstance(obj, dict):
        return []
    key = agent_key(obj)
    keys = [] if key is None else [key]
    members = obj.get("member")
    if members:
        for member in members:
            member_key = agent_key(member) if isinstance(member, dict) else None
            if member_key is not None:
                keys.append(member_key)
    return keys


_CONTEXT_KINDS = ("parent", "grouping", "category", "other")


def _context_activities(context: dict[str, Any]) -> list[str]:
    found = context.get("contextActivities")
    if not found:
        return []
    ids = []
    for kind in _CONTEXT_KINDS:
        value = found.get(kind)
        if value is None:
            continue
        for activity in value if isinstance(value, list) else [value]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                ids.append(activity["id"])
    return ids


def _walk(
    statement: dict[str, Any],
    keys: set[tuple[str, str]],
    top: bool,
    authority_keys: Sequence[str] | None = None,
) -> None:
    actor_keys = agent_keys(statement.get("actor"))
    obj = statement.get("object") or {}
    obj_type = obj.get("objectType", "Activity")
    context = statement.get("context") or {}
    object_keys = agent_keys(obj) if obj_type in ("Agent", "Group") else []
    activity = obj.get("id") if obj_type == "Activity" else None
    if not isinstance(activity, str):
        activity = None
    if top:
        for key in actor_keys:
            keys.add(("agent", key))
        for key in object_keys:
            keys.add(("agent", key))
        verb = (statement.get("verb") or {}).get("id")
        if isinstance(verb, str):
            keys.add(("verb", verb))
        if activity is not None:
            keys.add(("activity", activity))
        registration = context.get("registration")
        if isinstance(registration, str):
            keys.add(("registration", registration.lower()))
    related = actor_keys + object_keys
    related += agent_keys(statement.get("authority")) if authority_keys is None else authority_keys
    for role in ("instructor", "team"):
        if context.get(role) is not None:
            related += agent_keys(context[role])
    for ctx_agent in context.get("contextAgents") or []:
        if isinstance(ctx_agent, dict):
            related += agent_keys(ctx_agent.get("agent"))
    for ctx_group in context.get("contextGroups") or []:
        if isinstance(ctx_group, dict):
            related += agent_keys(ctx_group.get("group"))
    for key in related:
        keys.add(("related_agent", key))
    if activity is not None:
        keys.add(("related_activity", activity))
    for activity_id in _context_activities(context):
        keys.add(("related_activity", activity_id))
    if obj_type == "SubStatement":
        _walk(obj, keys, top=False)


def statement_keys(
    statement: dict[str, Any], authority_keys: Sequence[str] | None = None
) -> frozenset[tuple[str, str]]:
    """Every (kind, value) filter key of a (validated) statement.

    ``authority_keys`` is :func:`agent_keys` of the statement's ``authority`` when the caller
    already has it (the same authority for a whole batch).
    """
    keys: set[tuple[str, str]] = set()
    _walk(statement, keys, top=True, authority_keys=authority_keys)
    return frozenset(keys)


def ref_target(statement: dict[str, Any]) -> str | None:
    """The statement id a StatementRef object points at, else None."""
    obj = statement.get("object") or {}
    if obj.get("objectType") == "StatementRef" and isinstance(obj.get("id"), str):
        return str(obj["id"]).lower()
    return None


def voided_target(statement: dict[str, Any]) -> str | None:
    """The id a voiding statement voids, else None."""
    if (statement.get("verb") or {}).get("id") == VOIDED_VERB:
        return ref_target(statement)
    return None
