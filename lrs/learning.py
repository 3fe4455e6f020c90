"""What the LRS learns from stored statements for the Activities and Agents resources.

After a batch is stored, :func:`learn_from_statements` collects every Activity (the object,
context activities, and the same inside a SubStatement) and every identified Agent or Group
(actor, object, instructor, team, Group members, 2.0 context agents and groups; not the
authority) and hands them to the store: Activity definitions become canonical as
:func:`statements.documents.merge_activity` allows (``define`` scope: later definitions
update the canonical one), and agent names are remembered for the Person object.

The statements are already stored when this runs: a store that is unavailable here is logged
and the request still succeeds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import orjson

from lrs.extensions import services
from statements.errors import StoreUnavailable
from statements.store.base import ActivityAgentStore

log = logging.getLogger(__name__)

_CONTEXT_KINDS = ("parent", "grouping", "category", "other")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _activities(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    obj = statement.get("object")
    if isinstance(obj, dict):
        kind = obj.get("objectType", "Activity")
        if kind == "Activity" and isinstance(obj.get("id"), str):
            yield obj
        elif kind == "SubStatement":
            yield from _activities(obj)
    context = statement.get("context")
    if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
        for kind in _CONTEXT_KINDS:
            for activity in _as_list(context["contextActivities"].get(kind)):
                if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                    yield activity


def _actor_and_members(actor: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(actor, dict):
        return
    yield actor
    for member in _as_list(actor.get("member")):
        if isinstance(member, dict):
            yield member


def _agents(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from _actor_and_members(statement.get("actor"))
    obj = statement.get("object")
    if isinstance(obj, dict):
        if obj.get("objectType") in ("Agent", "Group"):
            yield from _actor_and_members(obj)
        elif obj.get("objectType") == "SubStatement":
            yield from _agents(obj)
    context = statement.get("context")
    if not isinstance(context, dict):
        return
    yield from _actor_and_members(context.get("instructor"))
    yield from _actor_and_members(context.get("team"))
    for item in _as_list(context.get("contextAgents")):
        if isinstance(item, dict):
            yield from _actor_and_members(item.get("agent"))
    for item in _as_list(context.get("contextGroups")):
        if isinstance(item, dict):
            yield from _actor_and_members(item.get("group"))


def collect(statements: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Activities and the Agents/Groups of ``statements``, in statement order."""
    activities = [a for s in statements for a in _activities(s)]
    agents = [a for s in statements for a in _agents(s)]
    return activities, agents


def _fingerprint(prefix: bytes, item: dict[str, Any]) -> bytes:
    """``prefix`` + the item as canonical JSON (sorted keys): equal items, equal prints."""
    try:
        return prefix + orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits: the slower encoder has no such limit
        text = json.dumps(item, sort_keys=True, separators=(",", ":")).encode()
        return b"j" + prefix + text


class LearnedCache:
    """What this process has already handed to the store, so repeats skip the write lock.

    Re-submitting an Activity or Agent exactly as before changes nothing in the store, so
    only new fingerprints are written. Bounded: forgotten wholesale past ``limit`` entries.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: set[bytes] = set()
        self._limit = limit

    def fresh(
        self, items: list[dict[str, Any]], salt: str
    ) -> tuple[list[dict[str, Any]], list[bytes]]:
        """The items not seen before (first occurrence each) and their fingerprints."""
        out: list[dict[str, Any]] = []
        prints: dict[bytes, None] = {}
        prefix = salt.encode()
        seen = self._seen
        for item in items:
            mark = _fingerprint(prefix, item)
            if mark not in seen and mark not in prints:
                out.append(item)
                prints[mark] = None
        return out, list(prints)

    def remember(self, prints: list[bytes]) -> None:
        """Mark fingerprints as written."""
        if len(self._seen) + len(prints) > self._limit:
            self._seen.clear()
        self._seen.update(prints)


def learn(
    store: ActivityAgentStore,
    cache: LearnedCache,
    statements: list[dict[str, Any]],
    may_define: bool,
) -> None:
    """Hand the statements' Activities and Agents that ``cache`` has not seen to ``store``
    (definitions under ``may_define``), then remember them."""
    activities, agents = collect(statements)
    new_activities, activity_prints = cache.fresh(activities, f"a{int(may_define)}")
    new_agents, agent_prints = cache.fresh(agents, "g")
    if new_activities:
        store.upsert_activity_definitions(new_activities, may_define)
        cache.remember(activity_prints)
    if new_agents:
        store.record_agents(new_agents)
        cache.remember(agent_prints)


def learn_from_statements(statements: list[dict[str, Any]], may_define: bool) -> None:
    """Fold the statements' Activity definitions and agent names into the store."""
    svc = services()
    try:
        learn(svc.store, svc.learned, statements, may_define)
    except StoreUnavailable:
        log.warning("could not record activities/agents of %d statements", len(statements))
