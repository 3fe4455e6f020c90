"""Compact JSON serialisation of statements with :mod:`orjson`, falling back to :mod:`json`.

The output is the same JSON text as ``json.dumps(value, ensure_ascii=False,
separators=(",", ":"))`` encoded as UTF-8, in the same key order and with the same string
escapes (non-ASCII kept as UTF-8, control characters as ``\\n`` / ``\\u001f``). The only
difference is the spelling of some floats in exponent range (orjson writes ``0.00001`` where
Python writes ``1e-05``): the same number, and statements are compared as values, never as
bytes (signatures: :func:`statements.compare.equivalent`; ETags hash the bytes actually sent).

Values orjson refuses (integers beyond 64 bits, which :mod:`statements.safejson` lets in)
are written by :mod:`json` instead. Parsing stays with :mod:`statements.safejson`: orjson
silently keeps the last of duplicate keys and turns big integers into floats.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _fallback(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes of ``value`` (a JSON-compatible structure)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _fallback(value)


def dumps_text(value: Any) -> str:
    """:func:`dumps` as text (e.g. for a TEXT column)."""
    return dumps(value).decode("utf-8")
