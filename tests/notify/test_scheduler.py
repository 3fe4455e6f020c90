"""The worker on an injected clock: what runs when, the lease, run records, crash recovery."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from analytics.notify.schedule import at_us, models_due, refresh_due, step_health
from analytics.notify.scheduler import LEASE, StepSkipped, Worker
from config.settings import Settings

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # an hour before the nightly models slot (02:00)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _settings(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path, schedule_refresh_minutes=15, schedule_models_hour=2)


def _steps(calls: list[str], fail: set[str] | None = None) -> dict[str, Any]:
    def make(name: str) -> Any:
        def step(settings: Settings, now: datetime) -> dict[str, Any]:
            calls.append(f"{name}@{now:%H:%M}")
            if fail and name in fail:
                raise RuntimeError(f"{name} broke")
            return {"n": len(calls)}

        return step

    return {name: make(name) for name in ("refresh", "models", "alerts")}


def test_refresh_every_interval_models_nightly_alerts_after(store: Any, tmp_path: Any) -> None:
    clock, calls = Clock(T0), []
    worker = Worker(_settings(tmp_path), store, _steps(calls), clock, name="w1")
    worker.cycle()  # first ever cycle: everything is due
    clock.advance(minutes=10)
    worker.cycle()  # refresh not due yet, models done for the night slot of yesterday
    clock.advance(minutes=5)
    worker.cycle()  # 15 min: refresh
    clock.advance(minutes=45)
    worker.cycle()  # 02:00: refresh and tonight's models, then alerts
    assert calls == [
        "refresh@01:00", "models@01:00", "alerts@01:00",
        "refresh@01:15",
        "refresh@02:00", "models@02:00", "alerts@02:00",
    ]  # fmt: skip
    runs = store.list_runs()
    assert {r.outcome for r in runs} == {"ok"} and len(runs) == 7
    assert runs[0].step == "alerts" and runs[0].counts == {"n": 7}
    assert runs[0].ended_us == at_us(clock.now)


def test_failure_recorded_retried_after_interval_and_alerts_skipped(
    store: Any, tmp_path: Any
) -> None:
    clock, calls = Clock(T0), []
    worker = Worker(_settings(tmp_path), store, _steps(calls, fail={"models"}), clock, name="w1")
    done = worker.cycle()
    assert [(r.step, r.outcome) for r in done] == [
        ("refresh", "ok"), ("models", "failed"), ("alerts", "skipped"),
    ]  # fmt: skip
    assert done[1].error == "RuntimeError: models broke"
    assert done[2].error == "models ended failed"
    clock.advance(minutes=14)
    assert worker.cycle() == []
    clock.advance(minutes=1)
    assert [r.step for r in worker.cycle()] == ["refresh", "models", "alerts"]
    health = step_health(store.list_runs(), worker.settings, clock.now)
    assert health["models"]["failed"] and not health["refresh"]["failed"]
    assert health["models"]["last_ok_at"] is None


def test_skipped_models_retried_after_the_refresh_interval(store: Any, tmp_path: Any) -> None:
    clock = Clock(T0)
    steps = _steps([])

    def nothing(settings: Settings, now: datetime) -> dict[str, Any]:
        raise StepSkipped("nothing to model yet")

    steps["models"] = nothing
    worker = Worker(_settings(tmp_path), store, steps, clock, name="w1")
    assert [(r.step, r.outcome) for r in worker.cycle()][1] == ("models", "skipped")
    clock.advance(minutes=14)
    assert not models_due(store.list_runs(), worker.settings, clock.now)
    clock.advance(minutes=1)
    assert models_due(store.list_runs(), worker.settings, clock.now)
    health = step_health(store.list_runs(), worker.settings, clock.now + timedelta(days=5))
    assert not health["models"]["overdue"]  # never attempted for real: not overdue


def test_second_worker_waits_for_the_lease(store: Any, tmp_path: Any) -> None:
    clock, calls = Clock(T0), []
    settings = _settings(tmp_path)
    holder = Worker(settings, store, _steps(calls), clock, name="w1")
    other = Worker(settings, store, _steps(calls), clock, name="w2")
    assert store.acquire_lease(LEASE, "w1", at_us(clock.now), holder.ttl_us)
    assert other.cycle() == [] and calls == []
    store.release_lease(LEASE, "w1")
    assert len(other.cycle()) == 3
    assert holder.cycle() == []  # nothing due: the history is shared through the store
    assert len(calls) == 3


def test_crashed_run_is_closed_and_rerun_after_lease_expiry(store: Any, tmp_path: Any) -> None:
    """A worker killed mid-step leaves a ``running`` row and its lease; the next one recovers."""
    clock, calls = Clock(T0), []
    settings = _settings(tmp_path)
    store.acquire_lease(LEASE, "dead", at_us(clock.now), settings.schedule_lease_seconds * 10**6)
    store.start_run("f" * 32, "refresh", at_us(clock.now), "dead")
    worker = Worker(settings, store, _steps(calls), clock, name="w2")
    clock.advance(seconds=settings.schedule_lease_seconds - 1)
    assert worker.cycle() == []  # the dead worker's lease still holds
    clock.advance(seconds=1)
    assert [r.step for r in worker.cycle()] == ["refresh", "models", "alerts"]
    dead = next(r for r in store.list_runs() if r.run_id == "f" * 32)
    assert dead.outcome == "failed" and "stopped mid-step" in (dead.error or "")


@pytest.mark.parametrize(
    ("minutes", "overdue"), [(29, False), (31, True)]
)  # refresh: 15 min x factor 2
def test_overdue_after_factor_periods(
    store: Any, tmp_path: Any, minutes: int, overdue: bool
) -> None:
    clock = Clock(T0)
    worker = Worker(_settings(tmp_path), store, _steps([]), clock, name="w1")
    worker.cycle()
    clock.advance(minutes=minutes)
    health = step_health(store.list_runs(), worker.settings, clock.now)
    assert health["refresh"]["overdue"] is overdue
    assert health["refresh"]["seconds_since_ok"] == minutes * 60
    assert refresh_due(store.list_runs(), worker.settings, clock.now)
    assert health["models"]["overdue"] is False


def test_never_run_is_not_overdue(tmp_path: Any) -> None:
    health = step_health([], _settings(tmp_path), T0)
    assert health["refresh"] == {
        "last_ok_at": None,
        "last_run_at": None,
        "last_outcome": None,
        "seconds_since_ok": None,
        "overdue": False,
        "failed": False,
    }


def test_two_workers_at_once_never_run_a_step_together(store: Any, tmp_path: Any) -> None:
    """Worker A is inside its refresh while worker B cycles: B runs nothing."""
    clock, calls = Clock(T0), []
    settings = _settings(tmp_path)
    inside, release = threading.Event(), threading.Event()
    steps_a = _steps(calls)
    plain_refresh = steps_a["refresh"]

    def slow_refresh(s: Settings, now: datetime) -> dict[str, Any]:
        inside.set()
        assert release.wait(60)
        return dict(plain_refresh(s, now))

    steps_a["refresh"] = slow_refresh
    a = Worker(settings, store, steps_a, clock, name="a")
    b = Worker(settings, store, _steps(calls), clock, name="b")
    done: list[Any] = []
    thread = threading.Thread(target=lambda: done.extend(a.cycle()))
    thread.start()
    assert inside.wait(60)
    assert b.cycle() == []  # the lease is a's: nothing runs
    release.set()
    thread.join()
    assert [r.step for r in done] == ["refresh", "models", "alerts"]
    assert calls == ["refresh@01:00", "models@01:00", "alerts@01:00"]
    assert b.cycle() == []  # and afterwards nothing is due
