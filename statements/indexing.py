"""Filter keys of a statement: what the ``agent``/``verb``/``activity``/``registration`` query
parameters match, including the ``related_*`` broad forms (xAPI Communication 2.1.3).

Keys are (kind, value) pairs. A store copies the keys of a StatementRef's target onto the
referring statement, so that a statement targeting a matching statement matches too.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def _agents(obj: Any) -> Iterable[str]:
    """IFI keys of an Agent or Group and, for a Group, of its members."""
    if not isinstance(obj, dict):
        return
    key = agent_key(obj)
    if key is not None:
        yield key
    for member in obj.get("member") or []:
        member_key = agent_key(member) if isinstance(member, dict) else None
        if member_key is not None:
            yield member_key


def _context_activities(context: dict[str, Any]) -> Iterable[str]:
    for kind in ("parent", "grouping", "category", "other"):
        value = (context.get("contextActivities") or {}).get(kind)
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for activity in items:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                yield activity["id"]


def _walk(statement: dict[str, Any], keys: set[tuple[str, str]], top: bool) -> None:
    actor = statement.get("actor")
    obj = statement.get("object") or {}
    obj_type = obj.get("objectType", "Activity")
    context = statement.get("context") or {}
    if top:
        for key in _agents(actor):
            keys.add(("agent", key))
        if obj_type in ("Agent", "Group"):
            for key in _agents(obj):
                keys.add(("agent", key))
        verb = (statement.get("verb") or {}).get("id")
        if isinstance(verb, str):
            keys.add(("verb", verb))
        if obj_type == "Activity" and isinstance(obj.get("id"), str):
            keys.add(("activity", obj["id"]))
        if isinstance(context.get("registration"), str):
            keys.add(("registration", context["registration"].lower()))
    related = [actor, statement.get("authority"), context.get("instructor"), context.get("team")]
    if obj_type in ("Agent", "Group"):
        related.append(obj)
    for ctx_agent in context.get("contextAgents") or []:
        if isinstance(ctx_agent, dict):
            related.append(ctx_agent.get("agent"))
    for ctx_group in context.get("contextGroups") or []:
        if isinstance(ctx_group, dict):
            related.append(ctx_group.get("group"))
    for agent in related:
        for key in _agents(agent):
            keys.add(("related_agent", key))
    if obj_type == "Activity" and isinstance(obj.get("id"), str):
        keys.add(("related_activity", obj["id"]))
    for activity_id in _context_activities(context):
        keys.add(("related_activity", activity_id))
    if obj_type == "SubStatement":
        _walk(obj, keys, top=False)


def statement_keys(statement: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """Every (kind, value) filter key of a (validated) statement."""
    keys: set[tuple[str, str]] = set()
    _walk(statement, keys, top=True)
    return frozenset(keys)


def packed_keys(keys: Iterable[tuple[str, str]]) -> dict[tuple[int, str], int]:
    """Filter keys as {(family, value): flag bits} (see :data:`KIND_BITS`)."""
    out: dict[tuple[int, str], int] = {}
    for kind, value in keys:
        family, bit = KIND_BITS[kind]
        out[(family, value)] = out.get((family, value), 0) | bit
    return out


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
