"""Deterministic builders of xAPI objects as plain dicts (fresh objects on every call).

Keyword overrides replace top-level properties; an override of ``None`` removes the property.
"""

from __future__ import annotations

from typing import Any

LEARNER_MBOX = "mailto:learner@example.org"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
COURSE_ID = "http://example.org/activities/course-1"


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def make_agent(**overrides: Any) -> dict[str, Any]:
    """An Agent identified by ``mbox`` ``mailto:learner@example.org``."""
    return _apply({"objectType": "Agent", "name": "Learner", "mbox": LEARNER_MBOX}, overrides)


def make_group(**overrides: Any) -> dict[str, Any]:
    """An anonymous Group of two Agents."""
    members = [
        make_agent(name="Ann", mbox="mailto:ann@example.org"),
        make_agent(name="Bob", mbox="mailto:bob@example.org"),
    ]
    return _apply({"objectType": "Group", "name": "Team", "member": members}, overrides)


def make_verb(**overrides: Any) -> dict[str, Any]:
    """The ADL ``completed`` verb with an en-US display."""
    return _apply({"id": COMPLETED, "display": {"en-US": "completed"}}, overrides)


def make_activity(**overrides: Any) -> dict[str, Any]:
    """The Activity ``http://example.org/activities/course-1`` (no definition)."""
    return _apply({"objectType": "Activity", "id": COURSE_ID}, overrides)


def make_statement(**overrides: Any) -> dict[str, Any]:
    """A minimal valid statement: learner completed course-1 (no id, timestamp or version)."""
    return _apply(
        {"actor": make_agent(), "verb": make_verb(), "object": make_activity()}, overrides
    )
