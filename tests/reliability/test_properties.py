"""Property tests: generated valid statements round-trip exactly on every backend; mutated ones
and arbitrary JSON get a 400 in the one error shape, never a 500.

Bounded and deterministic by default (``derandomize=True``); ``make fuzz`` raises the number of
examples with ``LRS_FUZZ_EXAMPLES`` and lets hypothesis pick fresh random seeds.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.strategies import MUTATIONS, json_values, mutation_names, statements

FUZZ = os.environ.get("LRS_FUZZ_EXAMPLES")
CASES = settings(
    max_examples=int(FUZZ) if FUZZ else 120,
    derandomize=not FUZZ,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LRS_SET = {"stored", "authority", "version"}
TRIED: dict[str, int] = {}


def _count(name: str) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1


def _error_shape(resp: Any) -> None:
    body = resp.get_json()
    assert set(body) == {"error", "errors", "status"} and body["status"] == resp.status_code


@CASES
@given(stmt=statements())
def test_valid_statements_round_trip_exactly(
    client: FlaskClient, headers: dict[str, str], stmt: dict[str, Any]
) -> None:
    _count("valid")
    resp = client.post("/xapi/statements", json=stmt, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == [stmt["id"]]
    got = client.get(f"/xapi/statements?statementId={stmt['id']}", headers=headers)
    assert got.status_code == 200
    body = got.get_json()
    assert set(body) >= LRS_SET
    if "timestamp" not in stmt:
        assert body.pop("timestamp") == body["stored"]
    assert {k: v for k, v in body.items() if k not in LRS_SET} == stmt


@CASES
@given(stmt=statements(), mutation=mutation_names)
def test_mutated_statements_are_400_never_500(
    client: FlaskClient, headers: dict[str, str], stmt: dict[str, Any], mutation: str
) -> None:
    _count("mutated")
    broken = MUTATIONS[mutation](copy.deepcopy(stmt))
    resp = client.post("/xapi/statements", json=broken, headers=headers)
    assert resp.status_code == 400, (mutation, resp.get_json())
    _error_shape(resp)
    batch = client.post("/xapi/statements", json=[stmt, broken], headers=headers)
    assert batch.status_code == 400, mutation
    missing = client.get(f"/xapi/statements?statementId={stmt['id']}", headers=headers)
    assert missing.status_code == 404, "a rejected batch left a statement behind"


@CASES
@given(
    body=json_values
    | st.dictionaries(st.sampled_from(["actor", "verb", "object", "id"]), json_values)
)
def test_arbitrary_json_is_never_a_server_error(
    client: FlaskClient, headers: dict[str, str], body: Any
) -> None:
    _count("arbitrary")
    resp = client.post("/xapi/statements", json=body, headers=headers)
    assert resp.status_code < 500
    if resp.status_code >= 400:
        _error_shape(resp)
