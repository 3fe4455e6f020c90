"""Builders shared by the analytics tests."""

from __future__ import annotations

import uuid
from typing import Any

from statements.prepare import prepare
from statements.store.base import StatementRecord

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}}
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
DAY_US = 86_400_000_000
SECRET = b"test-pseudonym-key"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def sid(n: int) -> str:
    return str(uuid.UUID(int=n))


def stmt(n: int, who: str = "ann", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": sid(n),
        "actor": {"mbox": f"mailto:{who}@example.org"},
        "verb": {"id": PASSED},
        "object": {"id": f"http://example.org/activities/a{n % 3}"},
    }
    body.update(extra)
    return body


def rec(body: dict[str, Any], at_us: int = 0) -> StatementRecord:
    return prepare(body, authority=AUTH, api_version="1.0.3", now_us=T0 + at_us)


def void(n: int, target: int) -> dict[str, Any]:
    return {
        "id": sid(n),
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": sid(target).upper()},
    }
