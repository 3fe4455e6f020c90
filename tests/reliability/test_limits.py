"""Limits, each in settings: body size (413), batch length, page size, attachment size, rate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.limits import TokenBucket, limiter_of
from tests.factories import make_statement

ROOT = Path(__file__).resolve().parents[2]


def _error_shape(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error", "errors", "status"} and body["status"] == status
    return dict(body)


@pytest.fixture
def small_app(store: Any, clock: Any, tmp_path: Path) -> Flask:
    settings = Settings(
        data_dir=tmp_path,
        secret_key="t",
        max_body_bytes=4096,
        max_batch=3,
        statement_page_limit=5,
        max_attachment_bytes=10,
        rate_limit_per_minute=3,
    )
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
def small(small_app: Flask) -> FlaskClient:
    return small_app.test_client()


@pytest.fixture
def auth(small_app: Flask, clock: Any) -> dict[str, str]:
    import base64

    from lrs.credentials import new_credential
    from lrs.extensions import services

    cred, _ = new_credential("t", ("all",), clock(), key="lim", secret="s")
    services(small_app).store.add_credential(cred)
    token = base64.b64encode(b"lim:s").decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def test_body_over_max_body_bytes_is_413_json(small: FlaskClient, auth: dict[str, str]) -> None:
    limiter_of(small.application).per_minute = 0
    body = make_statement(verb={"id": "http://x.org/v", "display": {"en": "x" * 5000}})
    _error_shape(small.post("/xapi/statements", json=body, headers=auth), 413)


def test_batch_over_max_batch_is_400(small: FlaskClient, auth: dict[str, str]) -> None:
    limiter_of(small.application).per_minute = 0
    body = _error_shape(
        small.post("/xapi/statements", json=[make_statement()] * 4, headers=auth), 400
    )
    assert body["errors"][0]["rule"] == "max_batch"
    assert (
        small.post("/xapi/statements", json=[make_statement()] * 3, headers=auth).status_code == 200
    )


def test_query_limit_is_capped_at_statement_page_limit(
    small: FlaskClient, auth: dict[str, str]
) -> None:
    limiter_of(small.application).per_minute = 0
    for _ in range(3):
        small.post("/xapi/statements", json=[make_statement()] * 3, headers=auth)
    page = small.get("/xapi/statements?limit=1000", headers=auth).get_json()
    assert len(page["statements"]) == 5 and page["more"]
    assert len(small.get("/xapi/statements?limit=0", headers=auth).get_json()["statements"]) == 5


def _multipart(content: bytes) -> tuple[bytes, str]:
    sha = hashlib.sha256(content).hexdigest()
    stmt = make_statement(
        attachments=[
            {
                "usageType": "http://example.org/usage",
                "display": {"en-US": "a"},
                "contentType": "text/plain",
                "length": len(content),
                "sha2": sha,
            }
        ]
    )
    parts = [
        b"--B\r\nContent-Type: application/json\r\n\r\n" + json.dumps(stmt).encode(),
        b"--B\r\nContent-Type: text/plain\r\nX-Experience-API-Hash: "
        + sha.encode()
        + b"\r\n\r\n"
        + content,
    ]
    return b"\r\n".join(parts) + b"\r\n--B--\r\n", "multipart/mixed; boundary=B"


def test_attachment_over_cap_is_413(small: FlaskClient, auth: dict[str, str]) -> None:
    limiter_of(small.application).per_minute = 0
    body, ctype = _multipart(b"x" * 11)
    err = _error_shape(
        small.post("/xapi/statements", data=body, content_type=ctype, headers=auth), 413
    )
    assert err["errors"][0] == {
        "path": "part[1]",
        "rule": "max_attachment_bytes",
        "message": "11 bytes",
    }
    body, ctype = _multipart(b"x" * 10)
    ok = small.post("/xapi/statements", data=body, content_type=ctype, headers=auth)
    assert ok.status_code == 200


def test_rate_limit_429_with_retry_after_then_refills(
    small: FlaskClient, auth: dict[str, str]
) -> None:
    limiter = limiter_of(small.application)
    now = [1000.0]
    limiter.clock = lambda: now[0]
    for _ in range(3):
        assert small.get("/xapi/statements", headers=auth).status_code == 200
    resp = small.get("/xapi/statements", headers=auth)
    err = _error_shape(resp, 429)
    assert err["errors"][0]["rule"] == "rate_limit"
    assert resp.headers["Retry-After"] == "20"  # 3/min: one token every 20 s
    now[0] += 20
    assert small.get("/xapi/statements", headers=auth).status_code == 200
    assert small.get("/xapi/statements", headers=auth).status_code == 429


def test_rate_limit_is_per_credential_and_spares_bad_credentials(
    small: FlaskClient, auth: dict[str, str]
) -> None:
    limiter = limiter_of(small.application)
    limiter.clock = lambda: 5.0
    for _ in range(4):
        small.get("/xapi/statements", headers=auth)
    assert small.get("/xapi/statements", headers=auth).status_code == 429
    wrong = dict(auth, Authorization="Basic bGltOndyb25n")  # lim:wrong
    assert small.get("/xapi/statements", headers=wrong).status_code == 401
    assert small.get("/xapi/about").status_code == 200


def test_token_bucket_refill_is_capped() -> None:
    bucket = TokenBucket(capacity=2, rate_per_s=1, tokens=0, updated=0)
    assert bucket.take(100) == 0  # refilled to 2, not 100
    assert bucket.take(100) == 0
    assert bucket.take(100) == pytest.approx(1.0)


def test_default_settings_do_not_limit_rate() -> None:
    assert Settings().rate_limit_per_minute == 0


def test_gunicorn_conf_reads_timeouts_and_log_format_from_settings(tmp_path: Path) -> None:
    import os
    import runpy

    env = {
        "LRS_REQUEST_TIMEOUT_S": "17",
        "LRS_GRACEFUL_TIMEOUT_S": "9",
        "LRS_LOG_FORMAT": "json",
        "LRS_METRICS_DIR": str(tmp_path / "m"),
        "LRS_WORKERS": "3",
    }
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert (conf["timeout"], conf["graceful_timeout"], conf["workers"]) == (17, 9, 3)
    assert conf["accesslog"] is None
    assert conf["logconfig_dict"]["formatters"]["lrs"]["()"] == "lrs.ops.logs.JsonFormatter"
    assert (tmp_path / "m").is_dir()


def test_gunicorn_settles_each_worker_after_loading_the_app(tmp_path: Path) -> None:
    """post_worker_init compiles the IRI grammar once and freezes the start-up heap (in a fresh
    interpreter: freezing the test process's heap would change every later test's GC)."""
    import os
    import runpy
    import subprocess
    import sys

    saved = dict(os.environ)
    os.environ["LRS_METRICS_DIR"] = str(tmp_path / "m")
    try:
        conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert "settle_worker" in conf["post_worker_init"].__code__.co_names
    script = (
        "import gc, rfc3987\n"
        "from lrs.ops.runtime import settle_worker\n"
        "settle_worker()\n"
        "print(gc.get_freeze_count() > 1000, ('^%(IRI)s$', 0) in rfc3987.get_compiled_pattern.cache)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True"]
