"""The vectorised flattening gives the per-statement flattener's frame and actor map."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.flatten import SCHEMA, flatten, flatten_python
from analytics.flatten.fast import flatten_frame
from bench.analytics_refresh import synthetic
from statements.prepare import prepare
from statements.store.base import StatementRecord
from statements.validate import validate_statements
from tests.analytics.helpers import SECRET
from tests.statements.xapi_gen import valid_statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "t"}}


def _records(bodies: list[dict[str, Any]]) -> list[StatementRecord]:
    """Bodies as the store keeps them: validated (normalised) and prepared."""
    records = []
    drop = ("id", "stored", "authority")  # the generator repeats ids; the LRS sets the rest
    plain = [{k: v for k, v in body.items() if k not in drop} for body in bodies]
    for index, body in enumerate(validate_statements(plain, "2.0.0")):
        sid = f"00000000-0000-4000-8000-{index:012x}"
        record = prepare(
            body, authority=AUTHORITY, api_version="2.0.0", now_us=10**15 + index, statement_id=sid
        )
        record.seq = index + 1
        record.voided = index % 7 == 0
        records.append(record)
    return records


def _same(records: list[StatementRecord]) -> None:
    frame, actors = flatten_frame(records, SECRET, SCHEMA)
    reference = flatten_python(records, SECRET)
    assert_frame_equal(frame, reference.frame)
    assert actors == reference.actors


def test_every_generated_shape_flattens_the_same() -> None:
    rng = random.Random(5)
    _same(_records([valid_statement(rng, index % 2 == 0) for index in range(1500)]))


def test_a_demo_like_sample_flattens_the_same() -> None:
    rng = random.Random(9)
    bodies = [synthetic(n, rng) for n in range(2000)]
    bodies.append(
        {
            "actor": AUTHORITY,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": "6F1D2B3C-1111-4A2B-8C3D-123456789ABC"},
        }
    )
    _same(_records(bodies))


def test_a_shape_the_vectorised_path_does_not_handle_takes_the_per_statement_path() -> None:
    rng = random.Random(2)
    records = _records([valid_statement(rng, True) for _ in range(20)])
    inner = {"objectType": "SubStatement", "object": {"id": "http://x.org/deep"}}
    records[4].body["object"] = {"objectType": "SubStatement", "object": inner}
    with pytest.raises(pl.exceptions.ComputeError):
        flatten_frame(records, SECRET, SCHEMA)
    flat = flatten(records, SECRET)
    assert_frame_equal(flat.frame, flatten_python(records, SECRET).frame)
    assert flat.frame["object_id"][4] == "http://x.org/deep"


def test_edge_shapes_the_reference_tolerates_flatten_the_same() -> None:
    actor = {"mbox": "mailto:Ann@EXAMPLE.org"}
    verb = {"id": "http://example.org/v"}
    bodies: list[dict[str, Any]] = [
        {"actor": actor, "verb": verb, "object": {"objectType": "", "id": "http://x.org/a"}},
        {"actor": actor, "verb": verb, "object": {"objectType": "SubStatement"}},
        {"actor": {"objectType": "Group", "member": [{}]}, "verb": verb},
        {"actor": {"objectType": "Group", "member": [actor, {"openid": "http://o.org/b"}]}},
        {"object": {"objectType": "StatementRef"}, "context": {"contextActivities": {}}},
        {"context": {"contextActivities": {"parent": {"id": "http://x.org/p"}}}},  # pre-1.0 form
        {"context": {"contextActivities": {"grouping": [{"id": "http://x.org/g"}, {}]}}},
        {"object": {"id": "http://x.org/a", "definition": {"interactionType": "choice"}}},
        {"result": {"duration": "P1Y2M"}, "timestamp": "2025-01-01T10:00:00"},
        {"result": {"duration": "not a duration"}, "timestamp": "20250101T100000+0100"},
        {"timestamp": "garbage"},
    ]
    records = [
        StatementRecord(id=f"id{n}", body=body, stored_us=n, seq=n + 1)
        for n, body in enumerate(bodies)
    ]
    _same(records)
