"""safejson's orjson fast path and its slow path agree (differential property test).

Each hypothesis example is a seed; from it JSON texts are written by hand (not by a JSON
library, so they can be hostile): duplicate keys at any depth (also spelled differently, as
``"a"`` and ``"\\u0061"``), nesting around ``max_depth``, lone surrogates, colons escaped as
``\\u003a``, ``NaN``/``Infinity``/``1e400``, integers beyond 64 bits, unusual whitespace; then
some bytes are damaged (a BOM, invalid UTF-8, a cut, a byte replaced). For every text
:func:`safejson.loads` (fast path first) and :func:`safejson.loads_slow` give the same value
(same types: ``1`` is not ``1.0``, ``-0.0`` is not ``0.0``) or the same 400 (rule, path,
message); and whenever :func:`safejson.fast_loads` answers, the slow path accepts the same value.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.workload import statement
from statements import safejson
from statements.errors import BadRequest

NUMBERS = [
    "0", "-0", "7", "-17", "3.5", "-0.0", "0.1", "1e5", "1E+2", "2.5e-3", "1e-400", "4.9e-324",
    "1.7976931348623157e308", "1e400", "-1e400", "1.8e308", "NaN", "Infinity", "-Infinity",
    str(2**63 - 1), str(2**63), str(2**64 - 1), str(2**64), str(-(2**63)), str(-(2**63) - 1),
    "9" * 30, "1" * 18, "123456789012345678901234567890.5", "1e16", "9.3e18", "01", "1.", "-",
]  # fmt: skip
PIECES = [
    "a", "text", " ", ":", "::", "http://x.example/a:b", "\\u003a", "\\u003A", '\\"', "\\\\",
    "\\n", "\\/", "é", "\\u00e9", "😀", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\ud83d",
    "\\ud83d\\u0041", "[", "{", "]}", "\\u0000", "\\u005b", "\x7f", "e+", "1234567890123456789",
]  # fmt: skip
# "\u0061" is "a": a duplicate key spelled differently.
KEYS = ["a", "b", "a:b", "\\u0061", "c", "", ":", "\\u003a", "x\\u003ay", "é", "\\ud800"]
SPACE = ["", "", "", " ", "\n", "\t", "\r\n  ", " \n\t\r"]
BAD_SPACE = ["\x0c", "\u00a0", "\x0b", "\u2028"]


def _space(rng: random.Random) -> str:
    return rng.choice(BAD_SPACE) if rng.random() < 0.01 else rng.choice(SPACE)


def _string(rng: random.Random) -> str:
    return '"' + "".join(rng.choice(PIECES) for _ in range(rng.randrange(4))) + '"'


def _scalar(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return _string(rng)
    if roll < 0.5:
        return rng.choice(["true", "false", "null"])
    if roll < 0.6:
        return repr(rng.uniform(-1e6, 1e6))
    return rng.choice(NUMBERS)


def _value(rng: random.Random, depth: int) -> str:
    """JSON-ish text nesting exactly ``depth`` containers deep along one branch."""
    if depth == 0:
        return _scalar(rng)
    deep = rng.randrange(1 + rng.randrange(4))  # the element that carries the full depth
    parts = [_value(rng, depth - 1 if i == deep else rng.randrange(depth)) for i in range(deep + 1)]
    rng.shuffle(parts)
    if rng.random() < 0.5:
        return "[" + _space(rng) + ("," + _space(rng)).join(parts) + _space(rng) + "]"
    keys = rng.sample(KEYS, len(parts)) if rng.random() < 0.8 else rng.choices(KEYS, k=len(parts))
    if rng.random() < 0.1:  # a duplicate of another key, exactly as written
        keys.append(rng.choice(keys))
        parts.append(_value(rng, rng.randrange(depth)))
    members = [f'"{k}"{_space(rng)}:{_space(rng)}{v}' for k, v in zip(keys, parts, strict=True)]
    return "{" + _space(rng) + ("," + _space(rng)).join(members) + _space(rng) + "}"


def _damage(rng: random.Random, raw: bytes) -> bytes:
    roll = rng.random()
    cut = rng.randrange(len(raw) + 1)
    if roll < 0.03:
        return b"\xef\xbb\xbf" + raw
    if roll < 0.06:
        return raw[:cut] + rng.choice([b"\xff", b"\xed\xa0\x80", b"\xc3", b"\xc0\xaf"]) + raw[cut:]
    if roll < 0.08:
        return raw[:cut]
    if roll < 0.10 and raw:
        return raw[:cut] + bytes([rng.randrange(256)]) + raw[cut + 1 :]
    return raw


def _outcome(parse: Any, raw: bytes, max_depth: int) -> tuple[Any, ...]:
    try:
        value = parse(raw, max_depth)
    except BadRequest as exc:
        return ("refused", exc.message, [(e.path, e.rule, e.message) for e in exc.errors])
    return ("accepted", repr(value))  # repr: 1 is not 1.0, -0.0 is not 0.0, key order counts


COUNTS = {"texts": 0, "fast": 0, "accepted": 0, "refused": 0}


def _check(raw: bytes, max_depth: int) -> None:
    slow = _outcome(safejson.loads_slow, raw, max_depth)
    assert _outcome(safejson.loads, raw, max_depth) == slow, raw
    fast = safejson.fast_loads(raw, max_depth)
    if fast is not safejson.UNSURE:
        assert slow == ("accepted", repr(fast)), raw
        COUNTS["fast"] += 1
    COUNTS["texts"] += 1
    COUNTS[slow[0]] += 1


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_fast_path_and_slow_path_agree(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        max_depth = rng.choice([1, 2, 3, 4, 6])
        text = _space(rng) + _value(rng, rng.randrange(max_depth + 3)) + _space(rng)
        _check(_damage(rng, text.encode("utf-8")), max_depth)


def test_the_differential_run_covered_enough() -> None:
    """Run after the property test (file order): enough texts, both outcomes, both paths."""
    if COUNTS["texts"] == 0:  # the property test was deselected
        return
    assert COUNTS["texts"] >= 10_000
    assert COUNTS["refused"] > 2_000
    assert COUNTS["accepted"] > 2_000
    assert COUNTS["fast"] > COUNTS["accepted"] // 3  # many accepted texts take the fast path


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":"\\u003a"}',  # the lost key's colon comes back, escaped, in the kept value
        '{"a":1,"\\u0061":2}',
        '[{"k":{"x":[1,{"y":1,"y":1}]}}]',
        '{"a:b":1,"a:b":2}',
        '{"":0,"":0}',
        str(2**64),
        f"[{-(2**63) - 1}]",
        f'{{"n":{"9" * 400}}}',
        "[1.5, 1e400]",
        '["\\ud800"]',
        '{"\\udc00":1}',
        '"\\ud83d\\ude00"',
        "[" * 64 + "]" * 64,
        "[" * 65 + "]" * 65,
        "[" * 300 + "]" * 300,
        "[" * 1100 + "]" * 1100,
        "{" * 10 + "}",
        "[]",
        "{}",
        "",
    ],
)
def test_hostile_texts_agree(text: str) -> None:
    _check(text.encode(), safejson.DEFAULT_MAX_DEPTH)


@pytest.mark.parametrize("max_depth", [0, 1, 2, 64, 300])
def test_depth_limit_is_exact(max_depth: int) -> None:
    for depth in range(max(0, max_depth - 2), max_depth + 3):
        for inner in ("1", "[]", "{}", '{"a":[]}'):
            raw = ("[" * depth + inner + "]" * depth).encode()
            _check(raw, max_depth)


def test_a_batch_of_statements_takes_the_fast_path() -> None:
    """The body the CPU target is measured on: orjson's value, equal to the slow path's."""
    batch = [statement(random.Random(seed), seed) for seed in range(100)]
    for raw in (json.dumps(batch).encode(), json.dumps(batch[0], indent=2).encode()):
        fast = safejson.fast_loads(raw)
        assert fast is not safejson.UNSURE
        assert repr(fast) == repr(safejson.loads_slow(raw))
