"""Hostile JSON, not hostile xAPI: hypothesis strategies for bytes an attacker (or a broken client)
sends, and the requests that carry them to every route taking a body or a JSON query parameter.

A hostile fragment is planted inside an otherwise valid statement or document (so it survives
validation up to the point where it bites), then the whole body may be mangled at the byte level
(truncated, BOM-prefixed, re-encoded, broken UTF-8). Families of requests:

* ``statements``: POST and PUT ``/xapi/statements`` as JSON, POST as multipart/mixed;
* ``documents``: PUT/POST State, Activity Profile and Agent Profile (hostile body or ``agent``);
* ``queries``: GET with hostile ``agent`` / ``activity`` / ``related_*`` / ``activityId`` params;
* ``analytics``: POST ``/analytics/sql`` and JSON Lines ``/analytics/imports/<kind>``.

:class:`Probe` is one request; :func:`probes` draws one for a family.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

FAMILIES = ("statements", "documents", "queries", "analytics")
# Giant strings, key floods and wide arrays at full size only in `make fuzz` (LRS_FUZZ_BIG=1);
# the default suite keeps them small so that it stays quick.
BIG = os.environ.get("LRS_FUZZ_BIG") == "1"
ACTIVITY = "http://example.org/activities/fuzz"
AGENT = {"objectType": "Agent", "mbox": "mailto:fuzz@example.org"}
EXT = "http://example.org/ext/fuzz"


@dataclass
class Probe:
    """One request: method, path (with query), headers, body; ``sent`` is what a read-back must
    equal if the LRS accepts it (a statement dict, or document bytes), else None."""

    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    statement_id: str | None = None
    document: bytes | None = None

    def to_file(self) -> bytes:
        """A corpus file: one JSON header line, then the raw body."""
        head = {"method": self.method, "path": self.path, "headers": self.headers}
        head |= {"statement_id": self.statement_id, "document": self.document is not None}
        return json.dumps(head).encode() + b"\n" + self.body

    @classmethod
    def from_file(cls, data: bytes) -> Probe:
        """Inverse of :meth:`to_file`."""
        line, _, body = data.partition(b"\n")
        head = json.loads(line)
        doc = body if head.get("document") else None
        return cls(head["method"], head["path"], body, head["headers"], head["statement_id"], doc)


# -- hostile JSON fragments (text) -------------------------------------------------------------

_NUMBERS = st.sampled_from(
    [
        "1e400",
        "-1e400",
        "1e-400",
        "NaN",
        "Infinity",
        "-Infinity",
        "1" * 4400,
        "9" * 400,
        "-0",
        "0.1e99999999999",
        "123456789012345678901234567890",
        "1.7976931348623157e309",
        "18446744073709551616",
        "-9223372036854775809",
    ]
)
_STRINGS = st.sampled_from(
    [
        '"\\ud800"',
        '"\\udfff"',
        '"a\\udc00b"',
        '"\\udc00\\ud800"',
        '"\\ud83d\\ude00"',
        '"\\u0000"',
        '"\x01\x1f"',
        '"tab\there"',
        '"\\uffff\\ufffe"',
        '"\\u"',
        '"\\x41"',
        '"\u2028\u2029"',
        '"\ufeff"',
    ]
)


def _nest(depth: int, leaf: str, kind: str) -> str:
    if kind == "array":
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


@st.composite
def fragments(draw: st.DrawFn, big: bool = BIG) -> str:
    """One hostile JSON value (as text; may be invalid JSON on purpose).

    ``big=False`` keeps giant values small (query parameters: a URL is at most a few KB).
    """
    choice = draw(st.integers(0, 8))
    if choice == 0:
        depths = [30, 63, 64, 65, 100, 500, 1000, 5000, 50_000] if big else [30, 64, 65, 500, 1000]
        depth = draw(st.sampled_from(depths))
        return _nest(
            depth,
            draw(st.sampled_from(["1", '"x"', "[]", "{}"])),
            draw(st.sampled_from(["array", "object"])),
        )
    if choice == 1:
        return draw(_NUMBERS)
    if choice == 2:
        return draw(_STRINGS)
    if choice == 3:  # duplicate keys
        return '{"k":1,"k":2}' if draw(st.booleans()) else '{"a":{"x":[1],"x":[2]}}'
    if choice == 4:  # giant string
        size = draw(st.sampled_from([10_000, 200_000, 1_000_000] if big else [10, 500]))
        return json.dumps("é" * size)
    if choice == 5:  # key flood
        n = draw(st.sampled_from([1000, 20_000] if big else [10, 100]))
        return "{" + ",".join(f'"k{i}":{i}' for i in range(n)) + "}"
    if choice == 6:  # unterminated / broken structure
        return draw(st.sampled_from(['"abc', "[1,2", '{"a":', "[,]", "{,}", '"\\', "tru", "nul"]))
    if choice == 7:  # wide array
        return (
            "["
            + ",".join(["0"] * draw(st.sampled_from([1000, 100_000] if big else [10, 300])))
            + "]"
        )
    return json.dumps(draw(st.text(max_size=30)))  # ordinary text, incl. odd unicode


def _mangle(draw: st.DrawFn, body: bytes) -> bytes:
    """Byte-level damage: none (often), truncation, BOMs, UTF-16, invalid UTF-8, control bytes."""
    choice = draw(st.integers(0, 9))
    if choice <= 4 or not body:
        return body
    if choice == 5:
        return body[: draw(st.integers(0, len(body) - 1))]
    if choice == 6:
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + body
    if choice == 7:
        return body.decode("utf-8", "surrogatepass").encode(
            draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1"])), "replace"
        )
    cut = draw(st.integers(0, len(body)))
    junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xe9", b"\x80\x80"]))
    return body[:cut] + junk + body[cut:]


# -- bodies ------------------------------------------------------------------------------------


def statement_text(sid: str, fragment: str, where: str) -> str:
    """A valid statement's JSON text with ``fragment`` planted at ``where``."""
    display = fragment if where == "verb" else '"fuzzed"'
    verb = '{"id":"http://example.org/verbs/fuzzed","display":{"en-US":' + display + "}}"
    if where == "verb":
        result = '{"success":true}'
    else:
        result = '{"extensions":{"' + EXT + '":' + fragment + "}}"
    obj = '{"objectType":"Activity","id":"' + ACTIVITY + '"}'
    return (
        '{"id":"'
        + sid
        + '","actor":'
        + json.dumps(AGENT)
        + ',"verb":'
        + verb
        + ',"object":'
        + obj
        + ',"result":'
        + result
        + "}"
    )


@st.composite
def statement_probes(draw: st.DrawFn) -> Probe:
    """POST (single or batch), PUT, or multipart POST of a statement carrying a fragment."""
    # A fresh id each time: a re-post of one id with another (ignored) verb display is
    # "equivalent", and would read back the first display.
    sid = str(uuid.uuid4())
    text = statement_text(sid, draw(fragments()), draw(st.sampled_from(["verb", "extension"])))
    how = draw(st.sampled_from(["post", "batch", "put", "multipart"]))
    if how == "batch":
        text = "[" + text + "]"
    body = _mangle(draw, text.encode("utf-8", "surrogatepass"))
    headers = {"Content-Type": "application/json"}
    if how == "multipart":
        body = b"--zz\r\nContent-Type: application/json\r\n\r\n" + body + b"\r\n--zz--\r\n"
        headers = {"Content-Type": "multipart/mixed; boundary=zz"}
    path = f"/xapi/statements?statementId={sid}" if how == "put" else "/xapi/statements"
    return Probe("PUT" if how == "put" else "POST", path, body, headers, statement_id=sid)


_DOC_ROUTES = (
    ("/xapi/activities/state", True, True),
    ("/xapi/activities/profile", True, False),
    ("/xapi/agents/profile", False, True),
)


def _agent_param(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return quote(json.dumps(AGENT))
    name = draw(fragments(big=False))
    text = '{"objectType":"Agent","mbox":"mailto:fuzz@example.org","name":' + name + "}"
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def document_probes(draw: st.DrawFn) -> Probe:
    """PUT or POST of a JSON document (fragment inside) to one of the three document resources."""
    route, has_activity, has_agent = draw(st.sampled_from(_DOC_ROUTES))
    # Mostly a fresh id, so that a PUT with If-None-Match: * creates (and is read back);
    # sometimes a shared one, so that POST merges into a stored document.
    fresh = uuid.uuid4().hex
    doc_id = draw(st.sampled_from([fresh, fresh, "d1", "é", "%F0%9F%98%80"]))
    key = "stateId" if route.endswith("state") else "profileId"
    query = [f"{key}={doc_id}"]
    if has_activity:
        query.append(f"activityId={quote(ACTIVITY, safe='')}")
    if has_agent:
        query.append(f"agent={_agent_param(draw)}")
    raw = '{"fuzz":' + draw(fragments()) + "}"
    body = _mangle(draw, raw.encode("utf-8", "surrogatepass"))
    method = draw(st.sampled_from(["PUT", "POST"]))
    headers = {"Content-Type": "application/json"}
    if method == "PUT":
        headers["If-None-Match"] = "*"
    return Probe(method, f"{route}?{'&'.join(query)}", body, headers, document=body)


@st.composite
def query_probes(draw: st.DrawFn) -> Probe:
    """GETs whose JSON / IRI query parameters are hostile."""
    which = draw(st.integers(0, 4))
    if which == 0:
        extra = draw(st.sampled_from(["", "&related_agents=true", "&related_agents=%FF"]))
        return Probe("GET", f"/xapi/statements?agent={_agent_param(draw)}{extra}")
    if which == 1:
        act = quote(draw(fragments(big=False)).encode("utf-8", "surrogatepass"), safe="")
        rel = draw(st.sampled_from(["true", "false", "yes", "%00", ""]))
        return Probe("GET", f"/xapi/statements?activity={act}&related_activities={rel}")
    if which == 2:
        return Probe("GET", f"/xapi/agents?agent={_agent_param(draw)}")
    if which == 3:
        act = quote(draw(fragments(big=False)).encode("utf-8", "surrogatepass"), safe="")
        return Probe("GET", f"/xapi/activities?activityId={act}")
    return Probe(
        "GET",
        f"/xapi/activities/state?activityId={quote(ACTIVITY, safe='')}&agent={_agent_param(draw)}",
    )


@st.composite
def analytics_probes(draw: st.DrawFn) -> Probe:
    """User SQL with hostile text, and a JSON Lines import with hostile lines."""
    if draw(st.booleans()):
        select = draw(fragments()).replace('"', "'")
        raw = '{"sql":"SELECT ' + select + ' AS x","format":"json"}'
        body = _mangle(draw, raw.encode("utf-8", "surrogatepass"))
        return Probe("POST", "/analytics/sql", body, {"Content-Type": "application/json"})
    lines = [draw(fragments()) for _ in range(draw(st.integers(1, 3)))]
    body = _mangle(draw, "\n".join(lines).encode("utf-8", "surrogatepass"))
    return Probe(
        "POST", "/analytics/imports/departments", body, {"Content-Type": "application/x-ndjson"}
    )


STRATEGIES: dict[str, Any] = {
    "statements": statement_probes(),
    "documents": document_probes(),
    "queries": query_probes(),
    "analytics": analytics_probes(),
}


def probes(family: str) -> st.SearchStrategy[Probe]:
    """The strategy of one route family."""
    return STRATEGIES[family]  # type: ignore[no-any-return]


def expected_statement(probe: Probe) -> dict[str, Any] | None:
    """The statement a read-back must equal (the body as strict JSON), or None if not JSON."""
    try:
        raw = probe.body
        if probe.headers.get("Content-Type", "").startswith("multipart"):
            raw = raw.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--zz--", 1)[0]
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, IndexError):
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else None
