"""Deterministic benchmark statements with realistic selectivity, and fast store prefill."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

from statements.prepare import prepare
from statements.store.sqlite import SQLiteStore

VERBS = [
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/initialized",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/terminated",
    "http://adlnet.gov/expapi/verbs/experienced",
]
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://bench.local", "name": "bench"}}
START_US = 1_735_689_600_000_000  # 2025-01-01


def statement(
    rng: random.Random, n: int, people: int = 2000, activities: int = 200
) -> dict[str, Any]:
    """One cmi5-like statement; ids are deterministic from ``rng``."""
    person = rng.randrange(people)
    activity = rng.randrange(activities)
    verb = VERBS[rng.randrange(len(VERBS))]
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:staff{person}@hospital.example"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {
            "id": f"http://hospital.example/activities/{activity}",
            "definition": {"name": {"en-US": f"Module {activity}"}},
        },
        "context": {
            "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "contextActivities": {
                "parent": [{"id": f"http://hospital.example/courses/{activity // 5}"}]
            },
        },
        "timestamp": "2025-06-01T10:00:00.000Z",
    }
    if verb.endswith(("passed", "failed")):
        body["result"] = {
            "score": {"scaled": round(rng.random(), 2)},
            "success": verb.endswith("passed"),
            "duration": "PT12M30S",
        }
    return body


def batches(seed: int, total: int, size: int) -> Iterator[list[dict[str, Any]]]:
    """``total`` statements in lists of ``size``."""
    rng = random.Random(seed)
    made = 0
    while made < total:
        count = min(size, total - made)
        yield [statement(rng, made + i) for i in range(count)]
        made += count


def prefill(store: SQLiteStore, seed: int, total: int, clock_start: int = START_US) -> None:
    """Insert ``total`` prepared statements straight through the store (no HTTP), 1 ms apart."""
    now = clock_start
    for batch in batches(seed, total, 2000):
        records = []
        for body in batch:
            now += 1000
            records.append(prepare(body, authority=AUTHORITY, api_version="1.0.3", now_us=now))
        store.insert(records, [])
