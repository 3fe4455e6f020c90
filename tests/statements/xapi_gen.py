"""A seeded generator of valid xAPI statements (both versions) and of mutations of them.

Used by the differential test of :mod:`statements.fastcheck` against the marshmallow schemas.
:func:`valid_statement` builds every shape the spec allows in the common serialisations
(all object types, SubStatements, each IFI kind, identified and anonymous Groups, results,
contexts, 2.0 contextAgents/contextGroups, attachments, interactions, extensions);
:func:`mutate` changes one value somewhere in it (drop, null, wrong type, a near-miss string,
an unknown or misplaced property), which usually makes it invalid and sometimes does not.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
IRIS = [
    "http://adlnet.gov/expapi/verbs/completed",
    "https://example.org/a/b?x=1#f",
    "urn:uuid:6f1d2b3c-1111-4a2b-8c3d-123456789abc",
    "http://例え.jp/活動",
    "tag:example.org,2024:x",
]
IRLS = ["http://example.org", "https://lms.example.org/course/1", "ftp://files.example.org/x"]
LANGS = ["en-US", "en", "fr-CA", "zh-Hant-TW", "de", "x-private", "und", "es-419"]
TIMESTAMPS = [
    "2025-06-01T10:00:00Z",
    "2025-06-01T10:00:00.123Z",
    "2024-02-29T23:59:59.123456+05:30",
    "1999-12-31T00:00:00-08:00",
    "2025-01-01T00:00:00.1+00:00",
]
DURATIONS = ["PT12M30S", "P1D", "PT0.5S", "P1Y2M3DT4H5M6S", "P3W", "PT1,5H"]
UUIDS = ["6f1d2b3c-1111-4a2b-8c3d-123456789abc", "00000000-0000-0000-0000-000000000000"]
INTERACTIONS = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "true-false": (),
    "fill-in": (),
    "numeric": (),
    "other": (),
    "long-fill-in": (),
}

# Values that are wrong (or subtly right) somewhere: each mutation picks one.
NEAR_MISSES: list[Any] = [
    None,
    "",
    "not an iri",
    "ab=c://x",
    "http://exa mple.org",
    "mailto:no-at-sign",
    "mailto:a@b.org",
    "mailto:A@EXAMPLE.ORG",
    "http://",
    "6f1d2b3c-1111-4a2b-8c3d-123456789ab",
    "6F1D2B3C-1111-4A2B-8C3D-123456789ABC",
    "2025-02-30T10:00:00Z",
    "2025-01-01T24:00:00Z",
    "2025-01-01T10:00:60Z",
    "2025-01-01T10:00:00-00:00",
    "2025-01-01T10:00:00",
    "2025-01-01T10:00Z",
    "20250101T100000Z",
    "20250101T100000+0100",
    "2025-01-01t10:00:00z",
    "2025-01-01T10:00:00+25:00",
    "2025-01-01T10:00:00.1234567890Z",
    "0000-01-01T00:00:00Z",
    "P",
    "PT",
    "P1W1D",
    "P0003-06-04T12:30:05",
    "en_US",
    "en-US",
    "1.0.0",
    "1.0",
    "2.0.0",
    "2.0.1",
    "3.0",
    "Agent",
    "Group",
    "Activity",
    "SubStatement",
    "StatementRef",
    "contextAgent",
    "a" * 40,
    "g" * 40,
    "a" * 64,
    "text/plain; charset=ascii",
    "text",
    VOIDED,
    0,
    1,
    -1,
    2,
    0.5,
    1.5,
    -3.25,
    10**30,
    float("inf"),
    True,
    False,
    [],
    {},
    ["http://example.org/x"],
    [{}],
    {"en-US": "x"},
    {"en_US": "x"},
    {"en-US": 1},
    {"http://example.org/ext": None},
    {"not iri": 1},
    {"objectType": "Group"},
    {"mbox": "mailto:x@example.org"},
    {"objectType": "Agent", "mbox": "mailto:x@example.org"},
    {"objectType": "StatementRef", "id": UUIDS[0]},
    {"id": "http://example.org/act"},
]
EXTRA_KEYS = [
    "unknownProp",
    "id",
    "objectType",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
    "member",
    "contextAgents",
    "contextGroups",
    "revision",
    "platform",
    "stored",
    "version",
    "authority",
    "definition",
    "interactionType",
    "choices",
    "scale",
    "correctResponsesPattern",
    "relevantTypes",
    "score",
    "raw",
    "min",
    "max",
    "scaled",
    "display",
    "extensions",
]


class Gen:
    """Builds valid statements from one ``random.Random``."""

    def __init__(self, rng: random.Random, v2: bool) -> None:
        self.r = rng
        self.v2 = v2

    def pick(self, items: list[Any]) -> Any:
        return items[self.r.randrange(len(items))]

    def maybe(self, p: float = 0.5) -> bool:
        return self.r.random() < p

    def lang_map(self) -> dict[str, str]:
        return {
            self.pick(LANGS): f"text {self.r.randrange(9)}" for _ in range(self.r.randint(1, 3))
        }

    def extensions(self) -> dict[str, Any]:
        values: list[Any] = [1, "x", None, {"a": [1, 2]}, True, 2.5]
        return {
            f"http://example.org/ext/{i}": self.pick(values) for i in range(self.r.randint(0, 3))
        }

    def agent(self, typed: bool | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if typed or (typed is None and self.maybe()):
            out["objectType"] = "Agent"
        if self.maybe():
            out["name"] = "Learner"
        kind = self.r.randrange(4)
        n = self.r.randrange(1000)
        if kind == 0:
            out["mbox"] = f"mailto:user{n}@example.org"
        elif kind == 1:
            out["mbox_sha1sum"] = f"{n:040x}"
        elif kind == 2:
            out["openid"] = f"https://openid.example.org/{n}"
        else:
            out["account"] = {"homePage": self.pick(IRLS), "name": f"u{n}"}
        return out

    def group(self, anonymous: bool | None = None) -> dict[str, Any]:
        anonymous = self.maybe() if anonymous is None else anonymous
        out: dict[str, Any] = {"objectType": "Group"}
        if not anonymous:
            out.update({k: v for k, v in self.agent(False).items() if k != "objectType"})
        if anonymous or self.maybe(0.3):
            out["member"] = [self.agent() for _ in range(self.r.randint(1, 3))]
        if self.maybe(0.3):
            out["name"] = "Team"
        return out

    def actor(self) -> dict[str, Any]:
        return self.group() if self.maybe(0.2) else self.agent()

    def definition(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.maybe():
            out["name"] = self.lang_map()
        if self.maybe(0.3):
            out["description"] = self.lang_map()
        if self.maybe():
            out["type"] = self.pick(IRIS)
        if self.maybe(0.2):
            out["moreInfo"] = self.pick(IRLS)
        if self.maybe(0.3):
            out["extensions"] = self.extensions()
        if self.maybe(0.3):
            kind = self.pick(list(INTERACTIONS))
            out["interactionType"] = kind
            if self.maybe():
                out["correctResponsesPattern"] = ["a[,]b", "c"][: self.r.randint(0, 2)]
            for key in INTERACTIONS[kind]:
                out[key] = [
                    {"id": f"c{i}", **({"description": self.lang_map()} if self.maybe() else {})}
                    for i in range(self.r.randint(0, 3))
                ]
        return out

    def activity(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": f"http://example.org/act/{self.r.randrange(50)}"}
        if self.maybe():
            out["objectType"] = "Activity"
        if self.maybe(0.7):
            out["definition"] = self.definition()
        return out

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.maybe():
            low = self.r.randint(-5, 5)
            high = low + self.r.randint(1, 100)
            score: dict[str, Any] = {"scaled": self.r.choice([0, 1, -1, 0.25, -0.5])}
            score.update({"min": low, "max": high, "raw": self.r.uniform(low, high)})
            out["score"] = {k: v for k, v in score.items() if self.maybe(0.7)}
        for key in ("success", "completion"):
            if self.maybe():
                out[key] = self.maybe()
        if self.maybe():
            out["response"] = "answer"
        if self.maybe():
            out["duration"] = self.pick(DURATIONS)
        if self.maybe(0.3):
            out["extensions"] = self.extensions()
        return out

    def context(self, activity_object: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.maybe():
            out["registration"] = self.pick(UUIDS)
        if self.maybe(0.3):
            out["instructor"] = self.actor()
        if self.maybe(0.2):
            out["team"] = self.group()
        if self.maybe(0.6):
            out["contextActivities"] = {
                rel: (self.activity() if self.maybe(0.3) else [self.activity()])
                for rel in ("parent", "grouping", "category", "other")
                if self.maybe()
            }
        if activity_object and self.maybe(0.3):
            out["revision"] = "r1"
        if activity_object and self.maybe(0.3):
            out["platform"] = "web"
        if self.maybe(0.3):
            out["language"] = self.pick(LANGS)
        if self.maybe(0.2):
            out["statement"] = {"objectType": "StatementRef", "id": self.pick(UUIDS)}
        if self.maybe(0.3):
            out["extensions"] = self.extensions()
        if self.v2 and self.maybe(0.3):
            out["contextAgents"] = [self._context_agent() for _ in range(self.r.randint(0, 2))]
        if self.v2 and self.maybe(0.2):
            out["contextGroups"] = [self._context_group() for _ in range(self.r.randint(0, 2))]
        return out

    def _relevant(self, item: dict[str, Any]) -> dict[str, Any]:
        if self.maybe():
            item["relevantTypes"] = [self.pick(IRIS) for _ in range(self.r.randint(1, 2))]
        return item

    def _context_agent(self) -> dict[str, Any]:
        return self._relevant({"objectType": "contextAgent", "agent": self.agent()})

    def _context_group(self) -> dict[str, Any]:
        return self._relevant({"objectType": "contextGroup", "group": self.group()})

    def attachment(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "usageType": self.pick(IRIS),
            "display": self.lang_map(),
            "contentType": self.pick(["text/plain", "application/json", "image/png; x=1"]),
            "length": self.r.randint(0, 10**6),
            "sha2": f"{self.r.getrandbits(256):064x}",
        }
        if self.maybe(0.3):
            out["description"] = self.lang_map()
        if self.maybe(0.3):
            out["fileUrl"] = self.pick(IRLS)
        return out

    def object(self, nested: bool) -> dict[str, Any]:
        kind = self.r.randrange(10 if nested else 12)
        if kind < 6:
            return self.activity()
        if kind == 6:
            return self.agent(typed=True)
        if kind == 7:
            return self.group()
        if kind in (8, 9):
            return {"objectType": "StatementRef", "id": self.pick(UUIDS)}
        return self.core({"objectType": "SubStatement"}, nested=True)

    def core(self, out: dict[str, Any], nested: bool) -> dict[str, Any]:
        out["actor"] = self.actor()
        obj = self.object(nested)
        voiding = obj.get("objectType") == "StatementRef" and self.maybe(0.3)
        out["verb"] = {"id": VOIDED if voiding else self.pick(IRIS)}
        if self.maybe(0.7):
            out["verb"]["display"] = self.lang_map()
        out["object"] = obj
        if self.maybe(0.4):
            out["result"] = self.result()
        if self.maybe(0.6):
            out["context"] = self.context(
                "objectType" not in obj or obj["objectType"] == "Activity"
            )
        if self.maybe(0.6):
            out["timestamp"] = self.pick(TIMESTAMPS)
        if self.maybe(0.15):
            out["attachments"] = [self.attachment() for _ in range(self.r.randint(0, 2))]
        return out

    def statement(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.maybe(0.6):
            out["id"] = self.pick(UUIDS[:1]) if self.maybe(0.1) else _uuid(self.r)
        self.core(out, nested=False)
        if self.maybe(0.2):
            out["stored"] = self.pick(TIMESTAMPS)
        if self.maybe(0.2):
            anon = {"objectType": "Group", "member": [self.agent(), self.agent()]}
            out["authority"] = self.agent() if self.maybe() else anon
        if self.maybe(0.3):
            versions = ["2.0.0", "2.0"] if self.v2 else ["1.0.0", "1.0", "1.0.3"]
            out["version"] = self.pick(versions)
        keys = list(out)
        self.r.shuffle(keys)
        return {key: out[key] for key in keys}


def _uuid(rng: random.Random) -> str:
    text = f"{rng.getrandbits(128):032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def valid_statement(rng: random.Random, v2: bool) -> dict[str, Any]:
    """A statement valid under xAPI 2.0 (``v2``) or 1.0.3."""
    return Gen(rng, v2).statement()


def _slots(value: Any, out: list[tuple[Any, Any]]) -> None:
    """Every (container, key) pair below ``value``."""
    if isinstance(value, dict):
        for key, sub in value.items():
            out.append((value, key))
            _slots(sub, out)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            out.append((value, index))
            _slots(sub, out)


def _containers(value: Any, out: list[Any]) -> None:
    if isinstance(value, dict):
        out.append(value)
        for sub in value.values():
            _containers(sub, out)
    elif isinstance(value, list):
        for sub in value:
            _containers(sub, out)


def _replace(rng: random.Random, statement: dict[str, Any]) -> None:
    slots: list[tuple[Any, Any]] = []
    _slots(statement, slots)
    container, key = slots[rng.randrange(len(slots))]
    container[key] = copy.deepcopy(NEAR_MISSES[rng.randrange(len(NEAR_MISSES))])


def _drop(rng: random.Random, statement: dict[str, Any]) -> None:
    slots: list[tuple[Any, Any]] = []
    _slots(statement, slots)
    container, key = slots[rng.randrange(len(slots))]
    del container[key]


def _add(rng: random.Random, statement: dict[str, Any]) -> None:
    found: list[Any] = []
    _containers(statement, found)
    target = found[rng.randrange(len(found))]
    key = EXTRA_KEYS[rng.randrange(len(EXTRA_KEYS))]
    target[key] = copy.deepcopy(NEAR_MISSES[rng.randrange(len(NEAR_MISSES))])


# Boundary values for named properties, wherever they occur (the rules most easily got wrong).
_MEMBER = {"objectType": "Agent", "mbox": "mailto:m@example.org"}
EDGES: dict[str, list[Any]] = {
    "relevantTypes": [[], ["not an iri"], "http://example.org/t", [None]],
    "member": [[], [{"objectType": "Group", "member": [_MEMBER]}], [_MEMBER, {}], _MEMBER],
    "scaled": [1.01, -1.5, True, "0.5", 1, -1],
    "raw": [10**6, -(10**6), None],
    "min": [10**6, 10**30],
    "max": [-(10**6), -(10**30)],
    "length": [-1, True, 1.0, "1"],
    "sha2": ["a" * 63, "A" * 64, "a" * 96, 1],
    "interactionType": ["Choice", "likert", "matching", "sequencing", None],
    "objectType": ["Agent", "Group", "Activity", "StatementRef", "SubStatement", "agent", 1],
    "timestamp": NEAR_MISSES[11:23],
    "stored": NEAR_MISSES[11:23],
    "version": ["2.0.0", "2.0", "1.0", "1.1", "2.0.x", "1.0.99", 1.0],
    "registration": [*NEAR_MISSES[9:11], "urn:uuid:" + "0" * 32],
    "language": ["en_US", "xx-notatag-toolongsubtag", "i-klingon", "en-", "EN-us"],
    "duration": [*NEAR_MISSES[23:27], "PT1H", "P1M"],
    "contentType": ["text", "text/plain;x", "/plain", 1],
    "openid": ["not uri", "http://x y", "http://example.org/id"],
    "homePage": ["http://", "example.org", "http://example.org"],
    "mbox": ["a@b.org", "mailto:a@b", "mailto:A@B.C", "mailto:a@@b.org"],
    "mbox_sha1sum": ["g" * 40, "A" * 40, "a" * 39],
    "fileUrl": ["http://", "x", "urn:x"],
    "moreInfo": ["http://", "x", "urn:x"],
    "correctResponsesPattern": [[1], "a", [], [None]],
    "choices": [[{"id": "a"}, {"id": "a"}], [{"id": 1}], [{"description": {"en": "x"}}]],
    "display": [{}, {"en_US": "x"}, {"en-US": None}, "x"],
    "name": [1, None, ""],
    "success": [1, "true", None],
    "response": [1, None],
}


def _edge(rng: random.Random, statement: dict[str, Any]) -> None:
    slots: list[tuple[Any, Any]] = []
    _slots(statement, slots)
    named = [(c, k) for c, k in slots if isinstance(k, str) and k in EDGES]
    if not named:
        _replace(rng, statement)
        return
    container, key = named[rng.randrange(len(named))]
    container[key] = copy.deepcopy(EDGES[key][rng.randrange(len(EDGES[key]))])


def _context_add(rng: random.Random, statement: dict[str, Any]) -> None:
    """Put a 2.0-only or Activity-only property into a (Sub)Statement's context."""
    targets: list[Any] = [statement]
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        targets.append(obj)
    target = targets[rng.randrange(len(targets))]
    context = target.setdefault("context", {})
    if not isinstance(context, dict):
        return
    agent = {"objectType": "contextAgent", "agent": {"mbox": "mailto:c@example.org"}}
    group = {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [_MEMBER]}}
    key, value = [
        ("contextAgents", [agent]),
        ("contextAgents", []),
        ("contextGroups", [group]),
        ("revision", "r2"),
        ("platform", "ios"),
        ("statement", {"objectType": "StatementRef", "id": "6f1d2b3c-1111-4a2b-8c3d-1234567890ab"}),
    ][rng.randrange(6)]
    context[key] = value


MUTATIONS: list[Callable[[random.Random, dict[str, Any]], None]] = [
    _replace,
    _replace,
    _drop,
    _add,
    _edge,
    _edge,
    _context_add,
]


def mutate(rng: random.Random, statement: dict[str, Any], times: int = 1) -> dict[str, Any]:
    """A deep copy of ``statement`` with ``times`` random mutations applied."""
    out = copy.deepcopy(statement)
    for _ in range(times):
        MUTATIONS[rng.randrange(len(MUTATIONS))](rng, out)
    return out
