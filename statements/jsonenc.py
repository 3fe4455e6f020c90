"""Compact JSON serialisation of statements with :mod:`orjson`, falling back to :mod:`json`.

The output is the same JSON text as ``json.dumps(value, ensure_ascii=False,
separators=(",", ":"))`` encoded as UTF-8, in the same key order and with the same string
escapes (non-ASCII kept as UTF-8, control characters as ``\\n`` / ``\\u001f``). The only
difference is the spelling of some floats in exponent range (orjson writes ``0.00001`` where
Python writes ``1e-05``): the same number, and statements are compared as values, never as
bytes (signatures: :func:`statements.compare.equivalent`; ETags hash the bytes actually sent).

Values orjson refuses (integers beyond 64 bits, which :mod:`statements.safejson` lets in)
are written by :mod:`json` instead. Parsing what a client sent stays with
:mod:`statements.safejson` (orjson silently keeps the last of duplicate keys); :func:`loads`
is for JSON this LRS wrote itself (stored bodies), where only big integers need care.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# 19 digits in a row: possibly an integer beyond 64 bits, which orjson would read as a float.
# Found by mapping every digit to "9" and everything else to a space, then one substring
# search: ten times faster than the regular expression ``[0-9]{19}`` (about 0.7 µs against
# 7 µs for a 1 KB statement), which was a third of the cost of reading a stored statement.
_DIGIT_MAP = bytes(0x39 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"9" * 19


def has_long_digits(data: bytes) -> bool:
    """Whether ``data`` holds 19 digits in a row (maybe an integer orjson reads as a float)."""
    return _LONG_RUN in data.translate(_DIGIT_MAP)


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


def loads(raw: bytes | str) -> Any:
    """Parse JSON written by :func:`dumps` (or ``json.dumps``); the same value ``json.loads`` gives.

    orjson reads integers beyond 64 bits as floats, so text holding 19 or more digits in a
    row (rare: also inside strings) is read by :mod:`json` instead.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if has_long_digits(data):
        return json.loads(data)
    return orjson.loads(data)
