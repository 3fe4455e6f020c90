"""A prepared batch leaves its worker process and comes back equal, bodies as compact JSON."""

from __future__ import annotations

import json
import pickle

from analytics.demo.pipeline import prepare_lines
from tests.factories import make_statement

SECRET = b"k" * 32
AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "loader"}}


def test_a_prepared_batch_pickles_back_to_equal_records() -> None:
    statements = [
        make_statement(result={"score": {"scaled": 0.1 + 0.2}, "response": "café ✓ \u001f"}),
        make_statement(result={"extensions": {"http://x.test/big": 2**70 + 1}}),
        make_statement(),
    ]
    prepared, failure = prepare_lines([json.dumps(s) for s in statements], SECRET, AUTH)
    assert failure is None and prepared is not None
    prepared.records[0].seq, prepared.records[0].voided = 7, True
    back = pickle.loads(pickle.dumps(prepared))
    assert back.records == prepared.records
    assert back.records[1].body["result"]["extensions"]["http://x.test/big"] == 2**70 + 1
    assert back.records[0].body["result"]["score"]["scaled"] == 0.1 + 0.2
    assert back.flat.frame.equals(prepared.flat.frame) and back.flat.actors == prepared.flat.actors
