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
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

from statements.errors import BadRequest, FieldError

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


def loads(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH, path: str = "$") -> Any:
    """Parse a JSON request body (UTF-8 bytes); see :func:`loads_text`."""
    return loads_text(decode(raw, path), max_depth, path)
