"""orjson output is the bytes ``json.dumps`` wrote (floats aside: same value), with a fallback."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statements import jsonenc
from tests.statements.xapi_gen import valid_statement


def _reference(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(_JSON)
def test_same_bytes_as_json_dumps_without_floats(value: Any) -> None:
    assert jsonenc.dumps(value) == _reference(value)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_the_same_number(value: float) -> None:
    assert json.loads(jsonenc.dumps({"raw": value})) == {"raw": value}


def test_generated_statements_serialise_to_the_same_bytes() -> None:
    rng = random.Random(3)
    for index in range(300):
        statement = valid_statement(rng, index % 2 == 0)
        assert json.loads(jsonenc.dumps(statement)) == statement
        if "result" not in statement:  # scores are floats: compared as values above
            assert jsonenc.dumps(statement) == _reference(statement)


def test_escapes_and_non_ascii_match() -> None:
    value = {"k\u00e9": '\x00\x1f\x7f\u2028 "\\/ \b\f\n\r\t \U0001f600'}
    assert jsonenc.dumps(value) == _reference(value)
    assert jsonenc.dumps_text(value) == _reference(value).decode("utf-8")


def test_integers_beyond_64_bits_fall_back_to_json() -> None:
    value = {"extensions": {"http://example.org/n": 2**70, "m": -(2**64)}}
    assert jsonenc.dumps(value) == _reference(value)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(_JSON | st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_loads_gives_what_json_loads_gives(value: Any) -> None:
    text = _reference({"v": value})
    parsed = jsonenc.loads(text)
    assert parsed == json.loads(text)
    assert type(parsed["v"]) is type(json.loads(text)["v"])
    assert jsonenc.loads(text.decode("utf-8")) == parsed


def test_loads_keeps_integers_beyond_64_bits_exact() -> None:
    assert jsonenc.loads(b'{"n":123456789012345678901234567890}') == {
        "n": 123456789012345678901234567890
    }
    assert jsonenc.loads(b"[18446744073709551616]") == [2**64]
