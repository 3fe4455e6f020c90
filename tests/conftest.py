"""Shared fixtures: an injected clock, a ``store`` per backend, the app and an xAPI client."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from statements.store import open_store

START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


class FakeClock:
    """Deterministic clock: every reading advances one millisecond."""

    def __init__(self, start_us: int = START_US) -> None:
        self.now = start_us

    def __call__(self) -> int:
        self.now += 1000
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1_000_000)


# mongomock always; a real MongoDB too when LRS_TEST_MONGO_URI is set (see docs/mongodb.md).
BACKENDS = ["sqlite", "mongomock"] + (["mongo"] if os.environ.get("LRS_TEST_MONGO_URI") else [])


def mongo_test_url(name: str) -> str:
    """LRS_TEST_MONGO_URI with its database path replaced by ``name`` (options kept)."""
    parts = urlsplit(os.environ["LRS_TEST_MONGO_URI"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def make_store(kind: str, tmp_path: Path) -> Any:
    """Open and initialise a fresh store of the given backend."""
    if kind == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
    elif kind == "sqlite-tail3":  # key rows move to key_rows every 3 statements (both sides used)
        store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
        store.key_tail = 3
    elif kind == "mongomock":
        store = open_store("mongomock://localhost/lrs")
    elif kind == "mongo":  # a unique database per test, dropped by the ``store`` fixture
        store = open_store(mongo_test_url(f"lrs_test_{uuid.uuid4().hex[:16]}"))
    else:  # pragma: no cover - backends register here as they land
        raise ValueError(kind)
    store.init()
    return store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Any]:
    opened = make_store(backend, tmp_path)
    yield opened
    if backend == "mongo":
        opened.drop_database()
    opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(store: Any, clock: FakeClock, tmp_path: Path) -> Flask:
    settings = Settings(data_dir=tmp_path, secret_key="test-secret", statement_page_limit=50)
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def credential(app: Flask, clock: FakeClock) -> Callable[..., dict[str, str]]:
    """``credential("all")`` → request headers (Basic auth + xAPI version) for a new credential."""
    counter = iter(range(1_000_000))

    def make(*scopes: str, version: str = "1.0.3", name: str | None = None) -> dict[str, str]:
        number = next(counter)
        key = f"key{number}"
        cred, secret = new_credential(
            name or f"client {number}", scopes or ("all",), clock(), key=key, secret=f"s{number}"
        )
        services(app).store.add_credential(cred)
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {token}", "X-Experience-API-Version": version}

    return make


@pytest.fixture
def headers(credential: Callable[..., dict[str, str]]) -> dict[str, str]:
    """Headers of an ``all``-scoped 1.0.3 client."""
    return credential("all")


@pytest.fixture
def headers2(credential: Callable[..., dict[str, str]]) -> dict[str, str]:
    """Headers of an ``all``-scoped 2.0.0 client."""
    return credential("all", version="2.0.0")
