"""The header says how fresh the figures are, and warns when a scheduled step failed/is late."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from dashboards.freshness import Freshness, ago, freshness
from lrs.extensions import services


def test_ago_and_lines() -> None:
    assert [ago(s) for s in (5, 720, 7200, 3 * 86_400)] == [
        "just now", "12 min ago", "2 h ago", "3 days ago",
    ]  # fmt: skip
    assert freshness(None) is None and freshness({"status": "not_run", "steps": {}}) is None
    steps = {
        "refresh": {"seconds_since_ok": 720.0, "failed": False, "overdue": False},
        "models": {"seconds_since_ok": None, "failed": True, "overdue": False},
        "alerts": {"seconds_since_ok": None, "failed": False, "overdue": True},
    }
    assert freshness({"status": "failed", "steps": steps}) == Freshness(
        "Last refresh 12 min ago",
        [
            "The last scheduled model run failed; figures may be out of date.",
            "The scheduled alert run is overdue; figures may be out of date.",
        ],
    )


def _run(app: Flask, step: str, outcome: str, at_us: int) -> None:
    store = services(app).store
    run_id = f"{step}{outcome}{at_us}"[:32]
    store.start_run(run_id, step, at_us, "test")
    store.finish_run(run_id, at_us, outcome, {}, None)


def test_header_shows_last_refresh_and_warning(
    reader_client: FlaskClient, dash_app: Flask, clock: Any
) -> None:
    assert 'class="freshness"' not in reader_client.get("/dashboards/").get_data(as_text=True)
    _run(dash_app, "refresh", "ok", clock.now)
    _run(dash_app, "models", "ok", clock.now)
    clock.advance(12 * 60)
    html = reader_client.get("/dashboards/").get_data(as_text=True)
    assert "Last refresh 12 min ago" in html and "freshness-warning" not in html
    _run(dash_app, "models", "failed", clock.now)
    html = reader_client.get("/dashboards/heatmap").get_data(as_text=True)
    assert "The last scheduled model run failed" in html
