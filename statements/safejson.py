"""Bounded, strict JSON parsing for everything a client sends (bodies and JSON query parameters).

:func:`loads` is :func:`json.loads` with the checks an attacker's input needs, each a 400
(``BadRequest``) naming the JSON path and the rule, never a ``RecursionError`` or a store error:

* **nesting depth** (``max_json_depth``, setting ``LRS_MAX_JSON_DEPTH``) is measured *before*
  parsing by a linear scan of the brackets outside strings, so a 20 MB ``[[[[…`` costs one
  pass and no recursion;
* **text that can be stored**: the bytes must be UTF-8 (no BOM), and no string or key may hold
  a lone UTF-16 surrogate (``"\\ud800"``), which neither SQLite nor UTF-8 can hold;
* **numbers that round-trip**: ``NaN``/``Infinity`` and numbers overflowing a double (``1e400``)
  are refused (they would come back as non-JSON); integers are limited by Python's digit cap;
* **no duplicate keys** in an object: the last one would silently win, so what is read back
  would not be what was sent.

:func:`loads` first tries a fast path (:func:`fast_loads`, about 4x less CPU on a batch of
statements): :mod:`orjson` parses, and the result is returned only when it is certainly what
:func:`loads_slow` (the checks above, one by one) would return. orjson itself refuses invalid
UTF-8, a BOM, lone surrogate escapes, ``NaN``/``Infinity`` and numbers overflowing a double;
what it lets through silently is checked on the bytes, all at C speed:

* duplicate keys (orjson keeps the last): a colon of the body is either a key's or inside a
  string, and so is a colon of the re-serialised value; a lost key makes the second count
  smaller (texts escaping a colon as ``\\u003a`` are left to the slow path);
* depth (orjson's own limit is 1024): re-serialised with a two-space indent, an element of a
  container ``max_depth`` deep starts a line after ``2 * max_depth`` spaces;
* integers beyond 64 bits (orjson reads them as floats): 19 digits in a row anywhere.

Anything else, and every refusal, goes through :func:`loads_slow`, which names rule and path.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any, Final

import orjson

from statements.errors import BadRequest, FieldError
from statements.jsonenc import has_long_digits

DEFAULT_MAX_DEPTH = 64
DEPTH_SETTING = "LRS_MAX_JSON_DEPTH"
# A JSON string, or an unterminated one running to the end: every quote starts a match, so the
# scan is linear even for hostile text such as '"\\"\\"\\"…' (no quadratic re-scanning).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# \ud800-\udfff written as an escape: the only way valid UTF-8 JSON yields a surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Refused(ValueError):
    """A value the parse hooks refuse (turned into a 400 naming ``rule``)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def json_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in ``text`` (strings skipped); linear, no recursion.

    Malformed text gets an approximate answer; the parse that follows rejects it anyway.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_depth(text: str, max_depth: int, path: str = "$") -> None:
    """400 ``max_json_depth`` when ``text`` nests deeper than ``max_depth``."""
    depth = json_depth(text)
    if depth > max_depth:
        raise BadRequest(
            f"JSON nests {depth} levels deep; the limit is {max_depth} ({DEPTH_SETTING})",
            [FieldError(path, "max_json_depth", f"at most {max_depth} levels ({DEPTH_SETTING})")],
        )


def _constant(name: str) -> Any:
    raise _Refused("json_number", f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("json_number", f"{text[:40]} overflows a double")
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused("duplicate_key", f"duplicate key {key[:60]!r} in an object")
            seen.add(key)
    return out


def unencodable_path(value: Any, path: str = "$") -> str | None:
    """The path of the first string or key of ``value`` that is not valid Unicode text."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return where
        elif isinstance(item, dict):
            for key, sub in item.items():
                key_path = f"{where}.{key}" if _encodable(key) else where
                if not _encodable(key):
                    return f"{where}[key]"
                stack.append((key_path, sub))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", sub) for i, sub in enumerate(item))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(text: str, name: str) -> str:
    """``text`` unchanged, or 400 ``unencodable`` naming ``name`` (e.g. a lone surrogate)."""
    if not _encodable(text):
        raise BadRequest(
            f"{name} holds text that cannot be stored (a lone surrogate)",
            [FieldError(name, "unencodable", "lone UTF-16 surrogates are not text")],
        )
    return text


def decode(raw: bytes, path: str = "$") -> str:
    """UTF-8 bytes as text; 400 ``utf8`` (invalid bytes) or ``bom`` (a leading BOM)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8", [FieldError(path, "utf8", str(exc))]) from exc
    if text.startswith("\ufeff"):
        raise BadRequest(
            "body starts with a byte order mark",
            [FieldError(path, "bom", "send UTF-8 JSON without a BOM")],
        )
    return text


def loads_text(text: str, max_depth: int = DEFAULT_MAX_DEPTH, path: str = "$") -> Any:
    """Parse JSON text with every check of the module docstring; 400 naming path and rule."""
    check_depth(text, max_depth, path)
    try:
        value = json.loads(
            text,
            parse_constant=_constant,
            parse_float=_float,
            object_pairs_hook=_pairs,
        )
    except _Refused as exc:
        raise BadRequest(str(exc), [FieldError(path, exc.rule, str(exc))]) from exc
    except RecursionError as exc:  # defence in depth: the scan above should make this unreachable
        raise BadRequest("JSON nests too deep", [FieldError(path, "max_json_depth", "")]) from exc
    except ValueError as exc:
        raise BadRequest("not valid JSON", [FieldError(path, "json", str(exc)[:200])]) from exc
    if _SURROGATE_ESCAPE.search(text):
        bad = unencodable_path(value, path)
        if bad is not None:
            raise BadRequest(
                "JSON holds a lone surrogate (not storable text)",
                [FieldError(bad, "unencodable", "lone UTF-16 surrogates are not text")],
            )
    return value


def loads_slow(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH, path: str = "$") -> Any:
    """Parse a JSON request body (UTF-8 bytes) with the checks of :func:`loads_text`."""
    return loads_text(decode(raw, path), max_depth, path)


UNSURE: Final = object()


def fast_loads(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """orjson's value of ``raw`` when :func:`loads_slow` certainly gives the same, else ``UNSURE``.

    ``UNSURE`` for every text the slow path refuses, and for some it accepts (a colon escaped
    as ``\\u003a``, 19 digits in a row, nesting exactly ``max_depth`` deep).
    """
    if max_depth < 1:  # the indent test below cannot see the top level's own depth
        return UNSURE
    try:
        value = orjson.loads(raw)
        # 255 levels or more are an error here (orjson's limit for writing): UNSURE as well.
        indented = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return UNSURE
    if (
        indented.count(b":") != raw.count(b":")  # a duplicate key was dropped
        or b"\\u003" in raw  # maybe an escaped colon, which would upset the count
        or b"\n" + b" " * (2 * max_depth) in indented  # something inside a max_depth container
        or has_long_digits(raw)  # maybe an integer orjson read as a float
    ):
        return UNSURE
    return value


def loads(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH, path: str = "$") -> Any:
    """Parse a JSON request body (UTF-8 bytes): :func:`fast_loads`, else :func:`loads_slow`."""
    value = fast_loads(raw, max_depth)
    if value is UNSURE:
        return loads_slow(raw, max_depth, path)
    return value
