"""Scheduler records on every backend: runs round-trip newest first; a lease has one holder."""

from __future__ import annotations

from typing import Any

SEC = 1_000_000


def test_runs_round_trip_newest_first(store: Any) -> None:
    store.start_run("a" * 32, "refresh", 10 * SEC, "host:1")
    store.start_run("b" * 32, "models", 20 * SEC, "host:1")
    store.finish_run("a" * 32, 11 * SEC, "ok", {"loaded": 5}, None)
    store.finish_run("b" * 32, 25 * SEC, "failed", {}, "boom")
    store.start_run("c" * 32, "refresh", 30 * SEC, "host:2")
    runs = store.list_runs()
    assert [r.run_id[0] for r in runs] == ["c", "b", "a"]
    assert runs[0].outcome == "running" and runs[0].ended_us is None
    assert runs[1].as_dict() == {
        "run_id": "b" * 32,
        "step": "models",
        "started_us": 20 * SEC,
        "ended_us": 25 * SEC,
        "outcome": "failed",
        "counts": {},
        "error": "boom",
        "worker": "host:1",
    }
    assert runs[2].counts == {"loaded": 5}
    assert [r.run_id[0] for r in store.list_runs(step="refresh")] == ["c", "a"]
    assert [r.run_id[0] for r in store.list_runs(limit=1)] == ["c"]
    assert store.count_runs() == {
        ("refresh", "ok"): 1,
        ("refresh", "running"): 1,
        ("models", "failed"): 1,
    }


def test_lease_has_one_holder_until_expiry_or_release(store: Any) -> None:
    assert store.acquire_lease("worker", "w1", 0, 60 * SEC)
    assert not store.acquire_lease("worker", "w2", 30 * SEC, 60 * SEC)
    assert store.acquire_lease("worker", "w1", 30 * SEC, 60 * SEC)  # renew: now until 90 s
    assert not store.acquire_lease("worker", "w2", 89 * SEC, 60 * SEC)
    assert store.acquire_lease("worker", "w2", 90 * SEC, 60 * SEC)  # expired: taken over
    assert not store.acquire_lease("worker", "w1", 91 * SEC, 60 * SEC)
    store.release_lease("worker", "w1")  # not the holder: no effect
    assert not store.acquire_lease("worker", "w1", 92 * SEC, 60 * SEC)
    store.release_lease("worker", "w2")
    assert store.acquire_lease("worker", "w1", 93 * SEC, 60 * SEC)
    assert store.acquire_lease("other", "w2", 93 * SEC, 60 * SEC)  # leases are per name
