"""Operations: request ids, JSON logs, /healthz, /readyz, /metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.ops.logs import JsonFormatter, RequestIdFilter
from tests.factories import make_statement


def test_request_id_generated_echoed_and_kept_when_sane(client: FlaskClient) -> None:
    first = client.get("/xapi/about").headers["X-Request-ID"]
    second = client.get("/xapi/about").headers["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    odd = client.get("/healthz", headers={"X-Request-ID": "a b\u00e9" * 60})
    assert odd.headers["X-Request-ID"] != "a b\u00e9" * 60


def test_error_responses_carry_the_request_id(client: FlaskClient) -> None:
    resp = client.get("/xapi/statements")
    assert resp.status_code in (400, 401) and resp.headers["X-Request-ID"]


def test_access_log_is_json_with_request_id(
    client: FlaskClient, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lrs.access"):
        resp = client.post(
            "/xapi/statements", json=make_statement(), headers={**headers, "X-Request-ID": "r-1"}
        )
    assert resp.headers["X-Request-ID"] == "r-1"
    [record] = [r for r in caplog.records if r.name == "lrs.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "r-1"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/xapi/statements", 200)
    assert line["credential"] == "key0" and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["logger"] == "lrs.access"


def test_request_id_filter_outside_a_request() -> None:
    record = logging.makeLogRecord({"msg": "boot"})
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "-"


def test_healthz_and_readyz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = {"store": "ok", "warehouse": "absent", "scheduler": "not_run"}
    assert ready.get_json()["checks"] == checks


def test_readyz_reports_model_warnings(client: FlaskClient, app: Any) -> None:
    """A crosswalk that names no imported competency is said loudly on the status endpoint."""
    from analytics.crosswalk import ModelWarning, warnings_frame
    from analytics.warehouse import Warehouse
    from lrs.extensions import services

    warning = ModelWarning("crosswalk_names_no_competency", "error", "names none", "ids: x")
    with Warehouse(services(app).settings.resolved_warehouse_path).write() as conn:
        conn.register("w", warnings_frame([warning]).to_arrow())
        conn.execute("CREATE TABLE model_warnings AS SELECT * FROM w")
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["checks"]["models"] == "error"
    assert body["model_warnings"] == [
        {"code": "crosswalk_names_no_competency", "severity": "error", "message": "names none"}
    ]


def test_readyz_503_when_store_unreachable(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the store's directory should be")
    settings = Settings(data_dir=tmp_path, secret_key="t", store_url=f"sqlite:///{blocker}/x.db")
    client = create_app(settings).test_client()
    assert client.get("/healthz").status_code == 200
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == 503 and body["errors"][0]["path"] == "store"


def test_readyz_503_when_warehouse_broken(client: FlaskClient, app: Any) -> None:
    from lrs.extensions import services

    services(app).settings.resolved_warehouse_path.write_bytes(b"not a duckdb file" * 100)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert [e["path"] for e in resp.get_json()["errors"]] == ["warehouse"]


def _sample(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_statements_and_rejections(
    client: FlaskClient, headers: dict[str, str], credential: Any
) -> None:
    client.post("/xapi/statements", json=[make_statement(), make_statement()], headers=headers)
    client.post("/xapi/statements", json={"actor": 1}, headers=headers)
    client.get("/xapi/statements", headers=headers)
    resp = client.get("/metrics", headers=credential("metrics"))
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert _sample(text, "lrs_statements_stored_total") == 2
    assert (
        _sample(
            text, 'lrs_http_requests_total{method="POST",route="/xapi/statements",status="200"}'
        )
        == 1
    )
    assert _sample(text, "lrs_rejections_total{reason=") >= 1
    assert 'lrs_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text
    assert "lrs_analytics_refresh_duration_seconds" in text


def test_refresh_timer_observes_outcome(app: Any) -> None:
    from lrs.ops.metrics import metrics_of

    metrics = metrics_of(app)
    with metrics.time_refresh():
        pass
    with pytest.raises(RuntimeError), metrics.time_refresh():
        raise RuntimeError("boom")
    text = metrics.exposition().decode()
    assert 'lrs_analytics_refresh_duration_seconds_count{outcome="ok"} 1.0' in text
    assert 'lrs_analytics_refresh_duration_seconds_count{outcome="error"} 1.0' in text
