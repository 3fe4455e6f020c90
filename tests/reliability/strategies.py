"""Hypothesis strategies for valid xAPI statements (Data 2.4) and for mutations that break them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import strategies as st

JSONDict = dict[str, Any]
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-é", min_size=1, max_size=8)
_ASCII_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
LANGS = st.sampled_from(["en-US", "en", "fr-CA", "de", "zh-Hans-CN", "es-419", "und"])


@st.composite
def iris(draw: st.DrawFn, extension: bool = False, uri: bool = False) -> str:
    """http(s) IRIs, some with dots, ``$`` and non-ASCII letters (not when ``uri``) in the path."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.sampled_from(["example.org", "lrs.example.com", "xn--bcher-kva.example"]))
    segments = draw(st.lists(_ASCII_WORD if uri else _WORD, max_size=3))
    if extension:
        segments.append(draw(st.sampled_from(["ext.v1", "$ext", "a.b.c", "score"])))
    return f"{scheme}://{host}/" + "/".join(segments)


language_maps = st.dictionaries(LANGS, st.text(max_size=20), min_size=1, max_size=3)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_KEYS = st.text(max_size=10) | st.sampled_from(["$set", "a.b", "$", ".", "x.$y"])
json_values = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)
extensions = st.dictionaries(iris(extension=True), json_values, max_size=3)


def _optional(draw: st.DrawFn, target: JSONDict, key: str, strategy: Any) -> None:
    if draw(st.booleans()):
        target[key] = draw(strategy)


@st.composite
def agents(draw: st.DrawFn, object_type: bool | None = None) -> JSONDict:
    """An Agent with one IFI of each kind."""
    kind = draw(st.sampled_from(["mbox", "mbox_sha1sum", "openid", "account"]))
    agent: JSONDict = {}
    if object_type if object_type is not None else draw(st.booleans()):
        agent["objectType"] = "Agent"
    _optional(draw, agent, "name", st.text(max_size=20))
    if kind == "mbox":
        agent["mbox"] = f"mailto:{draw(_WORD)}@{draw(st.sampled_from(['example.org', 'h.test']))}"
    elif kind == "mbox_sha1sum":
        agent["mbox_sha1sum"] = draw(st.text(alphabet="0123456789abcdef", min_size=40, max_size=40))
    elif kind == "openid":
        agent["openid"] = draw(iris(uri=True))
    else:
        agent["account"] = {
            "homePage": draw(iris(uri=True)),
            "name": draw(st.text(min_size=1, max_size=12)),
        }
    return agent


@st.composite
def groups(draw: st.DrawFn) -> JSONDict:
    """An identified Group (optional members) or an anonymous one (members required)."""
    members = draw(st.lists(agents(), min_size=0, max_size=3))
    if draw(st.booleans()) or not members:
        group = {k: v for k, v in draw(agents()).items() if k != "objectType"}
        if members:
            group["member"] = members
    else:
        group = {"member": members}
    group["objectType"] = "Group"
    _optional(draw, group, "name", st.text(max_size=20))
    return group


actors = agents() | groups()


@st.composite
def components(draw: st.DrawFn) -> list[JSONDict]:
    ids = draw(st.lists(_WORD, min_size=1, max_size=4, unique=True))
    out = []
    for cid in ids:
        comp: JSONDict = {"id": cid}
        _optional(draw, comp, "description", language_maps)
        out.append(comp)
    return out


_INTERACTIONS = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}


@st.composite
def definitions(draw: st.DrawFn) -> JSONDict:
    """An Activity Definition, sometimes an interaction with its component lists."""
    definition: JSONDict = {}
    _optional(draw, definition, "name", language_maps)
    _optional(draw, definition, "description", language_maps)
    _optional(draw, definition, "type", iris())
    _optional(draw, definition, "moreInfo", iris(uri=True))
    _optional(draw, definition, "extensions", extensions)
    if draw(st.booleans()):
        kind = draw(st.sampled_from(sorted(_INTERACTIONS)))
        definition["interactionType"] = kind
        _optional(draw, definition, "correctResponsesPattern", st.lists(st.text(max_size=10)))
        for key in _INTERACTIONS[kind]:
            definition[key] = draw(components())
    return definition


@st.composite
def activities(draw: st.DrawFn) -> JSONDict:
    activity: JSONDict = {"id": draw(iris())}
    if draw(st.booleans()):
        activity["objectType"] = "Activity"
    _optional(draw, activity, "definition", definitions())
    return activity


@st.composite
def results(draw: st.DrawFn) -> JSONDict:
    result: JSONDict = {}
    if draw(st.booleans()):
        lo = draw(st.integers(-100, 100))
        hi = draw(st.integers(lo + 1, lo + 200))
        score: JSONDict = {"scaled": draw(st.floats(-1, 1)), "min": lo, "max": hi}
        score["raw"] = draw(st.integers(lo, hi))
        result["score"] = score
    _optional(draw, result, "success", st.booleans())
    _optional(draw, result, "completion", st.booleans())
    _optional(draw, result, "response", st.text(max_size=20))
    _optional(
        draw, result, "duration", st.sampled_from(["PT1H2M3.5S", "P1D", "PT0S", "P3Y6M4DT12H30M5S"])
    )
    _optional(draw, result, "extensions", extensions)
    return result


@st.composite
def contexts(draw: st.DrawFn, object_is_activity: bool) -> JSONDict:
    context: JSONDict = {}
    _optional(draw, context, "registration", st.uuids().map(str))
    _optional(draw, context, "instructor", agents())
    if draw(st.booleans()):
        context["team"] = draw(groups())
    if draw(st.booleans()):
        kinds = draw(
            st.lists(
                st.sampled_from(["parent", "grouping", "category", "other"]),
                min_size=1,
                unique=True,
            )
        )
        context["contextActivities"] = {
            k: draw(st.lists(activities(), min_size=1, max_size=2)) for k in kinds
        }
    if object_is_activity:
        _optional(draw, context, "revision", st.text(min_size=1, max_size=8))
        _optional(draw, context, "platform", st.text(min_size=1, max_size=8))
    _optional(draw, context, "language", LANGS)
    if draw(st.booleans()):
        context["statement"] = {"objectType": "StatementRef", "id": str(draw(st.uuids()))}
    _optional(draw, context, "extensions", extensions)
    return context


TIMESTAMPS = st.sampled_from(
    ["2025-03-04T05:06:07.123Z", "2024-02-29T23:59:59Z", "2026-01-01T00:00:00.000Z"]
)


@st.composite
def statements(draw: st.DrawFn) -> JSONDict:
    """A valid statement with a content-derived id (equal content, equal id)."""
    obj_kind = draw(st.sampled_from(["activity", "agent", "ref"]))
    if obj_kind == "activity":
        obj = draw(activities())
    elif obj_kind == "agent":
        obj = draw(agents(object_type=True))
    else:
        obj = {"objectType": "StatementRef", "id": str(draw(st.uuids()))}
    verb: JSONDict = {"id": draw(iris())}
    _optional(draw, verb, "display", language_maps)
    stmt: JSONDict = {"actor": draw(actors), "verb": verb, "object": obj}
    _optional(draw, stmt, "result", results())
    _optional(draw, stmt, "context", contexts(obj_kind == "activity"))
    _optional(draw, stmt, "timestamp", TIMESTAMPS)
    stmt["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(stmt, sort_keys=True)))
    return stmt


def _delete(path: tuple[str, ...]) -> Any:
    def apply(stmt: JSONDict) -> JSONDict:
        target = stmt
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)
        return stmt

    return apply


def _set(path: tuple[str, ...], value: Any) -> Any:
    def apply(stmt: JSONDict) -> JSONDict:
        target = stmt
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
        return stmt

    return apply


MUTATIONS = {
    "no actor": _delete(("actor",)),
    "no verb": _delete(("verb",)),
    "no object": _delete(("object",)),
    "no verb id": _delete(("verb", "id")),
    "actor is a number": _set(("actor",), 5),
    "actor is a list": _set(("actor",), [{"mbox": "mailto:a@b.c"}]),
    "verb is a string": _set(("verb",), "completed"),
    "verb id not an IRI": _set(("verb", "id"), "not an iri"),
    "verb display bad tag": _set(("verb", "display"), {"not a tag!": "x"}),
    "id not a UUID": _set(("id",), "not-a-uuid"),
    "id is a number": _set(("id",), 12345),
    "timestamp not a date": _set(("timestamp",), "yesterday"),
    "timestamp is a number": _set(("timestamp",), 20250101),
    "unknown property": _set(("bogus",), True),
    "scaled out of range": _set(("result",), {"score": {"scaled": 2}}),
    "duration malformed": _set(("result",), {"duration": "1 hour"}),
    "version unsupported": _set(("version",), "0.9"),
    "null verb": _set(("verb",), None),
    "extension key not IRI": _set(("result",), {"extensions": {"no iri": 1}}),
}
mutation_names = st.sampled_from(sorted(MUTATIONS))
