"""CORS: browser-hosted content (cmi5 packages) calling the LRS from another origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.settings import Settings
from lrs.app import create_app

PREFLIGHT = {
    "Origin": "https://content.hospital.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "Authorization, X-Experience-API-Version, Content-Type",
}


def _client(tmp_path: Path, store: Any, origins: tuple[str, ...]) -> Any:
    settings = Settings(data_dir=tmp_path, secret_key="t", cors_origins=origins)
    return create_app(settings, store=store).test_client()


def test_preflight_allows_configured_origin(tmp_path: Path, store: Any) -> None:
    client = _client(tmp_path, store, ("https://content.hospital.example",))
    resp = client.options("/xapi/statements", headers=PREFLIGHT)
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "https://content.hospital.example"
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    allowed = resp.headers["Access-Control-Allow-Headers"].lower()
    assert "x-experience-api-version" in allowed and "authorization" in allowed


def test_other_origins_get_no_cors_grant(tmp_path: Path, store: Any) -> None:
    client = _client(tmp_path, store, ("https://content.hospital.example",))
    resp = client.options(
        "/xapi/statements", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_responses_expose_xapi_headers(tmp_path: Path, store: Any) -> None:
    client = _client(tmp_path, store, ("*",))
    resp = client.get("/xapi/about", headers={"Origin": "https://lms.example"})
    assert resp.headers["Access-Control-Allow-Origin"] in ("*", "https://lms.example")
    exposed = resp.headers["Access-Control-Expose-Headers"].lower()
    assert "x-experience-api-consistent-through" in exposed and "etag" in exposed
