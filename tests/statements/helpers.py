"""Small helpers shared by the statement tests."""

from __future__ import annotations

from typing import Any

import pytest

from statements.errors import FieldError, StatementValidationError
from statements.validate import validate_statements

STATEMENT_ID = "6f1d2b3c-1111-4a2b-8c3d-123456789abc"
OTHER_ID = "0b6c7d8e-2222-4b3c-9d4e-abcdefabcdef"


def errors_of(payload: Any, version: str = "2.0.0") -> list[FieldError]:
    """The errors validation reports for ``payload`` (an empty list when it is valid)."""
    try:
        validate_statements(payload, version)
    except StatementValidationError as err:
        assert err.errors, "a validation error must list its errors"
        return err.errors
    return []


def assert_valid(payload: Any, version: str = "2.0.0") -> None:
    """Fail with the reported errors when ``payload`` does not validate."""
    errors = errors_of(payload, version)
    assert errors == [], errors


def assert_error(payload: Any, path: str, rule: str, version: str = "2.0.0") -> None:
    """Fail unless validating ``payload`` reports ``rule`` at ``path``."""
    errors = errors_of(payload, version)
    found = {(e.path, e.rule) for e in errors}
    if (path, rule) not in found:
        pytest.fail(f"expected {rule!r} at {path!r}, got {sorted(found)}")
