"""``/readyz`` and ``/metrics`` read the scheduler's run records (app clock injected)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from lrs.extensions import services

MIN = 60 * 1_000_000


def _record(app: Any, step: str, outcome: str, started_us: int, n: int) -> None:
    store = services(app).store
    run_id = f"{step}{n}".ljust(32, "0")
    store.start_run(run_id, step, started_us, "test")
    store.finish_run(run_id, started_us + 1, outcome, {}, "boom" if outcome == "failed" else None)


def _sample(text: str, name: str) -> float:
    line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
    return float(line.split()[-1])


def test_readyz_and_metrics_show_last_success_overdue_and_failure(
    client: FlaskClient, app: Any, clock: Any, credential: Any
) -> None:
    start = clock.now
    _record(app, "refresh", "ok", start, 1)
    _record(app, "models", "ok", start, 1)
    _record(app, "alerts", "ok", start, 1)
    clock.advance(12 * 60)
    body = client.get("/readyz").get_json()
    assert body["checks"]["scheduler"] == "ok"
    refresh = body["scheduler"]["steps"]["refresh"]
    assert refresh["last_outcome"] == "ok" and 719 < refresh["seconds_since_ok"] < 721
    clock.advance(20 * 60)  # 32 min > 2 x 15 min: refresh overdue; readiness itself still 200
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.get_json()["checks"]["scheduler"] == "overdue"
    assert resp.get_json()["scheduler"]["steps"]["refresh"]["overdue"]
    _record(app, "models", "failed", clock.now, 2)
    _record(app, "refresh", "ok", clock.now, 2)
    body = client.get("/readyz").get_json()
    assert body["checks"]["scheduler"] == "failed"
    assert body["scheduler"]["steps"]["models"]["failed"]
    text = client.get("/metrics", headers=credential("metrics")).get_data(as_text=True)
    assert _sample(text, 'lrs_scheduler_runs_total{outcome="failed",step="models"}') == 1
    assert _sample(text, 'lrs_scheduler_runs_total{outcome="ok",step="refresh"}') == 2
    assert _sample(text, 'lrs_scheduler_last_failed{step="models"}') == 1
    assert _sample(text, 'lrs_scheduler_overdue{step="refresh"}') == 0
    assert 1900 < _sample(text, 'lrs_scheduler_seconds_since_success{step="models"}') < 1930
