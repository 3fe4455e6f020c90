"""Fixtures for single sign-on: a scripted provider for token checks, the real one for browsers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from config.settings import Settings
from lrs.app import create_app
from tests.live import serve
from tests.sso.fake_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider
from tests.sso.oidc_provider import install, missing_tools

GROUP_MAP = {
    "lrs-quality": {"roles": ["viewer", "staff"], "scope": "all"},
    "ward-d1-managers": {"roles": ["viewer"], "scope": "department:D1"},
}


@pytest.fixture
def backend() -> str:
    """Single sign-on uses the store for sessions and audit only: one backend is enough."""
    return "sqlite"


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """The scripted provider, served on a free loopback port."""
    provider = FakeProvider()
    with serve(provider.app) as base:
        provider.issuer = base
        yield provider


def sso_settings(tmp_path: Path, issuer: str, **changes: Any) -> Settings:
    """Settings with single sign-on against ``issuer`` and the test group map."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "secret_key": "test-secret",
        "warehouse_path": str(tmp_path / "none.duckdb"),
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_scopes": ("openid", "profile", "email", "groups"),
        "oidc_group_map": json.dumps(GROUP_MAP),
        "oidc_provider_name": "Test IdP",
    }
    return Settings(**{**values, **changes})


@pytest.fixture
def rp_app(store: Any, clock: Any, tmp_path: Path, fake_provider: FakeProvider) -> Flask:
    """The LRS configured against the scripted provider."""
    return create_app(sso_settings(tmp_path, fake_provider.issuer), store=store, clock=clock)


class Dispatch:
    """A WSGI app whose target is set later (the server's port must exist before the app)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def serve_later() -> Iterator[tuple[str, Dispatch]]:
    """Serve a :class:`Dispatch` on a free loopback port; yield (base URL, dispatch)."""
    dispatch = Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", dispatch
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def provider_home() -> Path:
    """node_modules with oidc-provider (``npm ci`` once into the cache); skip without node/npm."""
    why = missing_tools()
    if why:
        pytest.skip(why)
    return install()
