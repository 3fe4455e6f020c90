"""Prometheus metrics at ``/metrics`` (text exposition format).

Under gunicorn every worker writes its samples to memory-mapped files in the directory named by
``PROMETHEUS_MULTIPROC_DIR`` (``config/gunicorn.conf.py`` sets it from ``LRS_METRICS_DIR`` and
wipes it at start), and ``/metrics`` aggregates all workers, the dead ones' counters included.
Without that variable (tests, ``lrs serve --dev``) the app's own registry is exposed.

Metrics live in one :class:`Metrics` per app (``app.extensions["lrs_metrics"]``), never in module
globals. A failure to record a sample is logged, never turned into an error response.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from lrs.auth import require

bp = Blueprint("ops_metrics", __name__)
log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_REFRESH_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class Metrics:
    """The LRS metrics, registered in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "lrs_http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lrs_http_request_duration_seconds",
            "Time spent answering HTTP requests, by method and route.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.statements = Counter(
            "lrs_statements_stored",
            "Statements acknowledged by POST/PUT /xapi/statements (identical re-posts included).",
            registry=self.registry,
        )
        self.rejections = Counter(
            "lrs_rejections",
            "Requests answered with an error, by status and the first broken rule.",
            ["status", "reason"],
            registry=self.registry,
        )
        self.refresh = Histogram(
            "lrs_analytics_refresh_duration_seconds",
            "Duration of analytics warehouse refreshes run in a web worker.",
            ["outcome"],
            buckets=_REFRESH_BUCKETS,
            registry=self.registry,
        )

    @contextmanager
    def time_refresh(self) -> Iterator[None]:
        """Observe the duration of the enclosed refresh, labelled ``ok`` or ``error``."""
        started = time.perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        finally:
            self.refresh.labels(outcome=outcome).observe(time.perf_counter() - started)

    def exposition(self) -> bytes:
        """The text exposition of every worker (multiprocess mode) or of this app."""
        path = os.environ.get(MULTIPROC_ENV)
        if path:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))


def metrics_of(app: Flask | None = None) -> Metrics:
    """The :class:`Metrics` of ``app`` (default: the current app)."""
    found: Metrics = (app or current_app).extensions["lrs_metrics"]
    return found


def _reason(resp: Response) -> str:
    if resp.is_streamed or not resp.is_json:
        return "none"
    body: Any = resp.get_json(silent=True)
    if isinstance(body, dict):
        items = body.get("errors") or []
        if items and isinstance(items[0], dict) and items[0].get("rule"):
            return str(items[0]["rule"])
    return "none"


def _stored_count(resp: Response) -> int:
    if request.path != "/xapi/statements" or request.method not in ("POST", "PUT"):
        return 0
    if resp.status_code == 204:
        return 1
    if resp.status_code == 200 and resp.is_json:
        ids = resp.get_json(silent=True)
        return len(ids) if isinstance(ids, list) else 0
    return 0


def _record(metrics: Metrics, resp: Response) -> None:
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    status = resp.status_code
    metrics.requests.labels(method=request.method, route=route, status=str(status)).inc()
    started = g.get("ops_started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    metrics.latency.labels(method=request.method, route=route).observe(elapsed)
    if status >= 400:
        metrics.rejections.labels(status=str(status), reason=_reason(resp)).inc()
    stored = _stored_count(resp)
    if stored:
        metrics.statements.inc(stored)


def register(app: Flask) -> None:
    """Create the app's metrics and count every response."""
    metrics = Metrics()
    app.extensions["lrs_metrics"] = metrics

    @app.after_request
    def _count(resp: Response) -> Response:
        try:
            _record(metrics, resp)
        except Exception:  # metrics must never break a response
            log.exception("could not record metrics")
        return resp


def _now(clock_us: Any) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock_us() / 1_000_000, UTC)


@bp.get("/metrics")
@require("metrics", "admin")
def metrics_view() -> Response:
    """Prometheus text exposition format (scope ``metrics``: give the scraper its own key)."""
    body = metrics_of().exposition()
    try:  # forwarding gauges are read from the store at scrape time (lrs/interop)
        from lrs.extensions import services
        from lrs.interop.forward.metrics import forward_exposition

        svc = services()
        body += forward_exposition(svc.store, svc.clock)
    except Exception:  # a store hiccup must not hide the other metrics
        log.exception("could not read forwarding metrics")
    try:  # scheduler gauges, from the run records in the store
        from lrs.ops.schedule_metrics import scheduler_exposition

        svc = services()
        body += scheduler_exposition(svc.store, svc.settings, _now(svc.clock))
    except Exception:
        log.exception("could not read scheduler metrics")
    try:  # alert outbox gauges, from the store
        from lrs.ops.alerts_metrics import alerts_exposition

        body += alerts_exposition(services().store)
    except Exception:
        log.exception("could not read alert metrics")
    return Response(body, content_type=CONTENT_TYPE_LATEST)
