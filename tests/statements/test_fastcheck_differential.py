"""The fast validation path and marshmallow agree (differential property test).

Each hypothesis example is a seed; from it 10 valid statements and 10 mutated ones are built
per version pair (:mod:`tests.statements.xapi_gen`). For every statement:

* when the fast path accepts, marshmallow accepts too (the fast path never lets through a
  statement the schemas refuse), and ``validate_statements`` gives the same JSON either way;
* a generated valid statement (common shapes) is accepted by both paths, so the fast path
  really is the one taken;
* when marshmallow refuses, the errors reported with the fast path on are exactly the
  marshmallow errors.

520 examples x 20 statements = 10,400 statements (5,200 valid, 5,200 mutated).
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statements import fastcheck, validate
from statements.errors import StatementValidationError
from statements.schemas.statement import STATEMENT
from tests.statements.xapi_gen import mutate, valid_statement

# (request version, rules of the generated statement: 2.0 features allowed)
VERSIONS = [("2.0.0", True), ("1.0.3", False), ("2.0.0", False)]
COUNTS = {"valid": 0, "mutated": 0, "fast_accepted_mutated": 0, "fallback_accepted": 0}


def _outcome(statement: Any, version: str, fast: bool) -> tuple[str, Any]:
    try:
        result = validate.validate_statements(statement, version, fast=fast)
    except StatementValidationError as err:
        return "rejected", [(e.path, e.rule, e.message) for e in err.errors]
    return "accepted", json.dumps(result, ensure_ascii=False)


def _check(statement: dict[str, Any], request_version: str) -> tuple[bool, bool]:
    """Assert the two paths agree; return (fast accepted, marshmallow accepted)."""
    rules = validate._statement_version(statement, request_version)
    fast = fastcheck.accepts(statement, rules)
    marshmallow = not validate._load(STATEMENT, statement, rules, "$")
    assert marshmallow or not fast, f"fast path accepted an invalid statement: {statement}"
    if not marshmallow or fast:  # the slow path's own outcome is checked by the other tests
        assert _outcome(statement, request_version, True) == _outcome(
            statement, request_version, False
        )
    return fast, marshmallow


@settings(max_examples=520, derandomize=True, deadline=None, database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_fast_path_and_marshmallow_agree(seed: int) -> None:
    rng = random.Random(seed)
    for index in range(10):
        request_version, v2 = VERSIONS[index % len(VERSIONS)]
        statement = valid_statement(rng, v2)
        fast, marshmallow = _check(statement, request_version)
        assert marshmallow, f"the generator built an invalid statement: {statement}"
        assert fast, f"the fast path refused a common valid statement: {statement}"
        COUNTS["valid"] += 1
        mutated = mutate(rng, statement, times=rng.choice([1, 1, 1, 2]))
        fast, marshmallow = _check(mutated, request_version)
        COUNTS["mutated"] += 1
        COUNTS["fast_accepted_mutated"] += fast
        COUNTS["fallback_accepted"] += marshmallow and not fast


def test_the_differential_run_covered_enough() -> None:
    """Run after the property test (file order): enough statements, both outcomes."""
    if COUNTS["valid"] == 0:  # the property test was deselected
        return
    assert COUNTS["valid"] + COUNTS["mutated"] >= 10_000
    assert COUNTS["fast_accepted_mutated"] > 100  # mutations that stay valid take the fast path
    assert COUNTS["fallback_accepted"] > 0  # rare valid shapes reach marshmallow


def test_a_batch_mixing_fast_and_slow_statements_reports_marshmallow_errors() -> None:
    rng = random.Random(7)
    batch = [valid_statement(rng, False) for _ in range(5)]
    batch[2] = {**batch[2], "timestamp": "2025-02-30T10:00:00Z"}
    # a valid 1.0.3 shape that only marshmallow accepts (the slow path)
    batch[4] = {**batch[4], "timestamp": "20250101T100000Z", "version": "1.0.3"}
    assert not fastcheck.accepts(batch[4], "1.0.3")
    assert _outcome([batch[4]], "2.0.0", True)[0] == "accepted"
    assert _outcome(batch, "2.0.0", True) == _outcome(batch, "2.0.0", False)
    kind, errors = _outcome(batch, "2.0.0", True)
    assert kind == "rejected"
    assert [path for path, _, _ in errors] == ["$[2].timestamp"]
