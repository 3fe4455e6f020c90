"""The bounded strict JSON parser: the depth scan agrees with the real depth, and each refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statements import safejson
from statements.errors import BadRequest

_TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}:,\n é'), max_size=8)
_VALUES = st.recursive(
    st.none() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_depth_scan_equals_the_parsed_depth(value: Any) -> None:
    """Brackets and quotes inside strings (escaped or not) never count."""
    assert safejson.json_depth(json.dumps(value)) == _depth(value)


def test_depth_scan_of_unterminated_escapes_is_linear_and_exact() -> None:
    assert safejson.json_depth('["\\"' * 10_000) == 1  # every quote but the first is escaped
    assert safejson.json_depth("[" * 100 + '"' + "[" * 10_000) == 100


def _rule(raw: bytes) -> tuple[str, str]:
    with pytest.raises(BadRequest) as exc:
        safejson.loads(raw, max_depth=4)
    return exc.value.errors[0].path, exc.value.errors[0].rule


@pytest.mark.parametrize(
    "raw,where",
    [
        (b"[[[[[1]]]]]", ("$", "max_json_depth")),
        (b'{"a":{"b":["x","\\ud800"]}}', ("$.a.b[1]", "unencodable")),
        (b'{"\\udc00":1}', ("$[key]", "unencodable")),
        (b"[NaN]", ("$", "json_number")),
        (b"[-1e400]", ("$", "json_number")),
        (b'{"a":1,"b":2,"a":3}', ("$", "duplicate_key")),
        (b"\xef\xbb\xbf{}", ("$", "bom")),
        (b'{"a":"\xff"}', ("$", "utf8")),
        (b'{"a":"\x01"}', ("$", "json")),
        (b"[1,", ("$", "json")),
    ],
)
def test_each_refusal_names_path_and_rule(raw: bytes, where: tuple[str, str]) -> None:
    assert _rule(raw) == where


def test_accepted_json_is_unchanged() -> None:
    raw = '{"a":[1,2.5,-0,1e300,"\\ud83d\\ude00",null,true],"b":{"c":"\\u0000"}}'
    assert safejson.loads(raw.encode(), max_depth=4) == json.loads(raw)
    assert safejson.loads(b"[[[[1]]]]", max_depth=4) == [[[[1]]]]
