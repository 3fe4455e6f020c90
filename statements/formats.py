"""The ``format`` parameter of GET /statements: ``exact``, ``ids`` and ``canonical`` renderings.

* ``exact``: the statement as stored.
* ``ids``: Agents and identified Groups reduced to ``objectType`` + their IFI; anonymous Groups
  to ``objectType`` + their members (each reduced); Activities to ``id`` alone; Verbs
  to ``id`` (no ``display``, Data 2.4.3). Applies to actor, object, authority, context
  instructor / team / contextActivities / contextAgents / contextGroups, and inside
  SubStatements.
* ``canonical``: Activities take the LRS's canonical definition when the caller passes one
  (``definitions``, keyed by activity id), otherwise the definition in the statement; then every
  language map of Activities (name, description, interaction components) and the Verb
  ``display`` keeps only the best language for the ``Accept-Language`` preferences. Agents and
  Groups are returned as in ``exact``.

Language choice (Communication 2.1.3, RFC 2616 section 14.4 applied to each map): the ranges
are tried in preference order; a range matches a tag equal to it or starting with it followed
by ``-`` (case-insensitive); if none matches, each range is truncated (RFC 4647 lookup); ``*``
matches any tag; when nothing matches, the map's first entry is kept, so one language remains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from statements.rules import COMPONENT_KEYS, IFI_KEYS

FORMATS = ("exact", "ids", "canonical")
Definitions = Mapping[str, Mapping[str, Any]]


def parse_accept_language(header: str | None) -> list[str]:
    """The language ranges of an ``Accept-Language`` header, best first (``q=0`` dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = [piece.strip() for piece in part.split(";")]
        name = pieces[0]
        if not name:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, name))
    return [name for _, _, name in sorted(ranked)]


def best_language(language_map: Mapping[str, Any], languages: list[str]) -> str | None:
    """The key of ``language_map`` that best matches ``languages`` (see module docstring)."""
    if not language_map:
        return None
    keys = list(language_map)
    lowered = [key.lower() for key in keys]
    for wanted in languages:
        wanted = wanted.lower()
        if wanted == "*":
            return keys[0]
        for key, low in zip(keys, lowered, strict=True):
            if low == wanted or low.startswith(wanted + "-"):
                return key
    for wanted in languages:
        parts = wanted.lower().split("-")
        while len(parts) > 1:
            parts.pop()
            prefix = "-".join(parts)
            for key, low in zip(keys, lowered, strict=True):
                if low == prefix:
                    return key
    return keys[0]


def _filter_map(value: Any, languages: list[str]) -> Any:
    if not isinstance(value, Mapping):
        return value
    key = best_language(value, languages)
    return {} if key is None else {key: value[key]}


def _ids_actor(actor: Any) -> Any:
    if not isinstance(actor, Mapping):
        return actor
    kind = actor.get("objectType", "Agent")
    for key in IFI_KEYS:
        if key in actor:
            return {"objectType": kind, key: actor[key]}
    return {"objectType": kind, "member": [_ids_actor(m) for m in actor.get("member", [])]}


def _ids_activity(activity: Any) -> Any:
    if not isinstance(activity, Mapping):
        return activity
    return {"id": activity.get("id")}


def _canonical_activity(
    activity: Any, languages: list[str], definitions: Definitions | None
) -> Any:
    if not isinstance(activity, Mapping):
        return activity
    out = dict(activity)
    definition = out.get("definition")
    if definitions is not None and activity.get("id") in definitions:
        definition = definitions[activity["id"]]
    if isinstance(definition, Mapping):
        definition = dict(definition)
        for key in ("name", "description"):
            if key in definition:
                definition[key] = _filter_map(definition[key], languages)
        for key in COMPONENT_KEYS:
            if isinstance(definition.get(key), list):
                definition[key] = [
                    {**c, "description": _filter_map(c["description"], languages)}
                    if isinstance(c, Mapping) and "description" in c
                    else c
                    for c in definition[key]
                ]
        out["definition"] = definition
    return out


class _Renderer:
    """Walks a statement applying one reduction to actors, activities and verbs."""

    def __init__(
        self,
        actor: Callable[[Any], Any],
        activity: Callable[[Any], Any],
        verb: Callable[[Any], Any],
    ) -> None:
        self.actor, self.activity, self.verb = actor, activity, verb

    def statement(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(statement)
        for key in ("actor", "authority"):
            if key in out:
                out[key] = self.actor(out[key])
        if "verb" in out:
            out["verb"] = self.verb(out["verb"])
        if "object" in out:
            out["object"] = self.object(out["object"])
        if isinstance(out.get("context"), Mapping):
            out["context"] = self.context(out["context"])
        return out

    def object(self, obj: Any) -> Any:
        if not isinstance(obj, Mapping):
            return obj
        kind = obj.get("objectType", "Activity")
        if kind in ("Agent", "Group"):
            return self.actor(obj)
        if kind == "SubStatement":
            return self.statement(obj)
        if kind == "StatementRef":
            return obj
        return self.activity(obj)

    def context(self, context: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(context)
        for key in ("instructor", "team"):
            if key in out:
                out[key] = self.actor(out[key])
        activities = out.get("contextActivities")
        if isinstance(activities, Mapping):
            out["contextActivities"] = {
                key: [self.activity(a) for a in (value if isinstance(value, list) else [value])]
                for key, value in activities.items()
            }
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            if isinstance(out.get(key), list):
                out[key] = [
                    {**item, inner: self.actor(item.get(inner))}
                    if isinstance(item, Mapping)
                    else item
                    for item in out[key]
                ]
        return out


def _ids_verb(verb: Any) -> Any:
    return {"id": verb.get("id")} if isinstance(verb, Mapping) else verb


def render(
    statement: dict[str, Any],
    fmt: str,
    languages: list[str],
    *,
    definitions: Definitions | None = None,
) -> dict[str, Any]:
    """Render a stored statement in format ``fmt`` (``exact``, ``ids`` or ``canonical``).

    ``languages`` are Accept-Language ranges in preference order
    (:func:`parse_accept_language`); ``definitions`` optionally maps activity ids to the LRS's
    canonical Activity Definitions. Raises ``ValueError`` for an unknown format. The input is
    never modified.
    """
    if fmt == "exact":
        return statement
    if fmt == "ids":
        return _Renderer(_ids_actor, _ids_activity, _ids_verb).statement(statement)
    if fmt == "canonical":

        def verb(value: Any) -> Any:
            if isinstance(value, Mapping) and "display" in value:
                return {**value, "display": _filter_map(value["display"], languages)}
            return value

        def activity(value: Any) -> Any:
            return _canonical_activity(value, languages, definitions)

        return _Renderer(lambda actor: actor, activity, verb).statement(statement)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
