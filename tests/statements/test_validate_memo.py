"""The validation memo answers only for an equal object under the same rules version."""

from __future__ import annotations

from typing import Any

import pytest

from statements.errors import StatementValidationError
from statements.schemas.base import MemoSchema
from statements.schemas.statement import STATEMENT
from statements.validate import validate_statements
from tests.factories import make_statement

AGENTS = {
    "contextAgents": [
        {"objectType": "contextAgent", "agent": {"mbox": "mailto:boss@example.org"}},
    ]
}


def _paths(statement: dict[str, Any], version: str) -> list[str]:
    with pytest.raises(StatementValidationError) as caught:
        validate_statements(statement, version)
    return [e.path for e in caught.value.errors]


def test_a_context_accepted_under_2_0_is_still_refused_under_1_0_3() -> None:
    statement = make_statement(context=AGENTS)
    assert validate_statements(statement, "2.0.0")
    assert _paths(statement, "1.0.3") == ["$.context.contextAgents"]


def test_true_and_1_are_different_objects() -> None:
    assert validate_statements(make_statement(result={"success": True}), "1.0.3")
    assert _paths(make_statement(result={"success": 1}), "1.0.3") == ["$.result.success"]


def test_a_refusal_is_never_remembered_as_an_acceptance() -> None:
    bad = make_statement(verb={"id": "not an iri"})
    for _ in range(2):
        assert _paths(bad, "1.0.3") == ["$.verb.id"]


def test_the_memo_is_bounded() -> None:
    used = STATEMENT.fields["context"].schema  # the instance the statement schema loads with
    assert isinstance(used, MemoSchema)
    for n in range(used.memo_size + 10):
        validate_statements(make_statement(context={"platform": f"p{n}"}), "1.0.3", fast=False)
    assert len(used._memo) == used.memo_size
