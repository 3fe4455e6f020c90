"""cmi5-shaped xAPI 1.0.3 statements for one simulated assessment attempt.

launched -> initialized -> answered x k -> completed -> passed|failed -> terminated, sharing a
registration and a session id; the AU is the object of the cmi5-defined statements, the LMS
course is ``contextActivities.parent`` and the cmi5 course structure is ``grouping``.
Identifiers come from the seeded RNG so output is reproducible.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache, lru_cache
from typing import Any

import numpy as np

from analytics.demo.catalog import COMPETENCIES, au_iri, cmi5_course_iri, course_iri
from analytics.demo.learning import EPOCH, Attempt

ADL = "http://adlnet.gov/expapi/verbs/"
CMI5 = "https://w3id.org/xapi/cmi5/"
CMI5_CATEGORY = {"id": f"{CMI5}context/categories/cmi5"}
MOVEON_CATEGORY = {"id": f"{CMI5}context/categories/moveon"}
SESSION = f"{CMI5}context/extensions/sessionid"
CHOICES = ("a", "b", "c", "d")


def _verb(name: str) -> dict[str, Any]:
    return {"id": f"{ADL}{name}", "display": {"en-US": name}}


VERBS = {
    name: _verb(name)
    for name in (
        "launched",
        "initialized",
        "answered",
        "completed",
        "passed",
        "failed",
        "terminated",
    )
}


@lru_cache(maxsize=4096)
def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def timestamp(seconds: int) -> str:
    """Epoch seconds as an ISO 8601 UTC timestamp with milliseconds."""
    days, rest = divmod(seconds, 86400)
    return f"{_day(days + EPOCH)}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}.000Z"


def duration(seconds: int) -> str:
    """Seconds as an ISO 8601 duration (PT#H#M#S)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


@cache
def _course(comp_index: int) -> dict[str, Any]:
    """Shared, read-only pieces of every statement about one competency's course."""
    comp = COMPETENCIES[comp_index]
    au = {
        "objectType": "Activity",
        "id": au_iri(comp.competency_id),
        "definition": {
            "name": {"en-US": f"{comp.name}: assessment"},
            "type": "http://adlnet.gov/expapi/activities/assessment",
        },
    }
    parent = [
        {
            "objectType": "Activity",
            "id": course_iri(comp.competency_id),
            "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
        }
    ]
    grouping = [
        {
            "objectType": "Activity",
            "id": cmi5_course_iri(comp.competency_id),
            "definition": {"type": f"{CMI5}activitytype/course"},
        }
    ]
    items = [
        {
            "objectType": "Activity",
            "id": f"{au_iri(comp.competency_id)}/items/q{i + 1}",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["a"],
                "choices": [{"id": c, "description": {"en-US": f"Option {c}"}} for c in CHOICES],
            },
        }
        for i in range(comp.items)
    ]
    return {"au": au, "parent": parent, "grouping": grouping, "items": items}


def attempt_statements(
    attempt: Attempt, actor: dict[str, Any], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """The statements of one attempt, in order (answered items omitted for a click-through)."""
    course = _course(attempt.competency)
    answered = 0 if attempt.click_through else len(attempt.correct)
    raw = rng.bytes(16 * (answered + 7))
    ids = [str(uuid.UUID(bytes=raw[16 * i : 16 * i + 16], version=4)) for i in range(answered + 7)]
    registration, session = ids[-2], ids[-1]
    wrong = rng.integers(1, 4, size=max(answered, 1))

    def context(*categories: dict[str, str]) -> dict[str, Any]:
        activities: dict[str, Any] = {"parent": course["parent"], "grouping": course["grouping"]}
        if categories:
            activities["category"] = list(categories)
        return {
            "registration": registration,
            "contextActivities": activities,
            "extensions": {SESSION: session},
        }

    def statement(
        k: int,
        verb: str,
        offset: int,
        obj: dict[str, Any],
        ctx: dict[str, Any],
        result: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        out = {
            "id": ids[k],
            "actor": actor,
            "verb": VERBS[verb],
            "object": obj,
            "context": ctx,
            "timestamp": timestamp(attempt.start + offset),
        }
        if result is not None:
            out["result"] = result
        return out

    spent = attempt.duration
    out = [
        statement(0, "launched", 0, course["au"], context(CMI5_CATEGORY)),
        statement(1, "initialized", 2, course["au"], context(CMI5_CATEGORY)),
    ]
    for i in range(answered):
        ok = attempt.correct[i]
        result = {"success": ok, "response": "a" if ok else CHOICES[int(wrong[i])]}
        at = 3 + (spent - 10) * (i + 1) // (answered + 1)
        out.append(statement(2 + i, "answered", at, course["items"][i], context(), result))
    k = 2 + answered
    took = duration(spent - 4)
    out.append(
        statement(
            k,
            "completed",
            spent - 4,
            course["au"],
            context(CMI5_CATEGORY, MOVEON_CATEGORY),
            {"completion": True, "duration": took},
        )
    )
    score = sum(attempt.correct)
    verdict = {
        "score": {
            "scaled": round(score / len(attempt.correct), 4),
            "raw": score,
            "min": 0,
            "max": len(attempt.correct),
        },
        "success": attempt.passed,
        "duration": took,
    }
    out.append(
        statement(
            k + 1,
            "passed" if attempt.passed else "failed",
            spent - 3,
            course["au"],
            context(CMI5_CATEGORY, MOVEON_CATEGORY),
            verdict,
        )
    )
    out.append(
        statement(
            k + 2,
            "terminated",
            spent,
            course["au"],
            context(CMI5_CATEGORY),
            {"duration": duration(spent)},
        )
    )
    return out
