"""Unit checks of the fast validation path (the differential test covers the whole grammar)."""

from __future__ import annotations

import itertools

import pytest

from statements import fastcheck
from statements.fields import parse_timestamp
from tests.factories import make_activity, make_statement
from tests.statements.helpers import errors_of


def _timestamps() -> list[str]:
    dates = ["2024-02-29", "2023-02-29", "2025-13-01", "2025-04-31", "0000-01-01", "9999-12-31"]
    times = ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "12:00:00.1234567"]
    zones = ["Z", "z", "+00:00", "-00:00", "+23:59", "+24:00", "-05:60", "+0100", ""]
    return [f"{d}T{t}{z}" for d, t, z in itertools.product(dates, times, zones)]


@pytest.mark.parametrize("rfc3339", [True, False])
def test_a_fast_timestamp_is_one_the_schemas_accept(rfc3339: bool) -> None:
    accepted = 0
    for value in _timestamps():
        if fastcheck.timestamp_ok(value):
            accepted += 1
            assert parse_timestamp(value, rfc3339=rfc3339) is not None, value
    assert accepted == 18  # 2 real dates x 3 times of day x 3 offsets


def test_rare_timestamp_shapes_are_left_to_the_schemas() -> None:
    for value in ("20250101T100000Z", "2025-01-01t10:00:00z", "2025-01-01T10:00Z"):
        assert not fastcheck.timestamp_ok(value)
        assert parse_timestamp(value, rfc3339=False) is not None


def test_common_statements_take_the_fast_path() -> None:
    assert fastcheck.accepts(make_statement(), "2.0.0")
    assert fastcheck.accepts(make_statement(version="1.0.3"), "1.0.3")
    assert not fastcheck.accepts(make_statement(version="2.0.0"), "1.0.3")
    assert not fastcheck.accepts(make_statement(extra=1), "2.0.0")


def test_a_definition_that_is_not_an_object_is_a_400_not_a_crash() -> None:
    # The interaction hook ran on the non-object and raised TypeError (a 500) before.
    statement = make_statement(object=make_activity(definition=0.5))
    assert [(e.path, e.rule) for e in errors_of(statement)] == [("$.object.definition", "type")]
