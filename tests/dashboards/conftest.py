"""Fixtures for the dashboards: a fixture warehouse, an app that reads it, signed-in clients."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from tests.dashboards.fixture_warehouse import Fixture, build

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The fixture warehouse, built once per test session."""
    return build(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


def make_app(store: Any, clock: Any, tmp_path: Path, warehouse: Path) -> Flask:
    settings = Settings(data_dir=tmp_path, secret_key="test-secret", warehouse_path=str(warehouse))
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
def dash_app(store: Any, clock: Any, tmp_path: Path, planted: Fixture) -> Flask:
    return make_app(store, clock, tmp_path, planted.path)


@pytest.fixture
def add_credential(dash_app: Flask, clock: Any) -> Callable[..., tuple[str, str]]:
    """Create a credential with ``scopes`` in the app's store; returns (key, secret)."""
    counter = iter(range(1_000_000))

    def make(*scopes: str) -> tuple[str, str]:
        n = next(counter)
        cred, secret = new_credential(f"Viewer {n}", scopes, clock(), key=f"dk{n}", secret=f"ds{n}")
        services(dash_app).store.add_credential(cred)
        return cred.key, secret

    return make


def sign_in(client: FlaskClient, key: str, secret: str, next_url: str = "") -> Any:
    """Post the sign-in form (with its CSRF token) and return the response."""
    page = client.get("/dashboards/sign-in")
    token = CSRF.search(page.get_data(as_text=True))
    assert token is not None
    return client.post(
        "/dashboards/sign-in",
        data={"key": key, "secret": secret, "csrf_token": token.group(1), "next": next_url},
    )


@pytest.fixture
def reader_client(dash_app: Flask, add_credential: Callable[..., tuple[str, str]]) -> FlaskClient:
    client = dash_app.test_client()
    assert sign_in(client, *add_credential("analytics/read")).status_code == 303
    return client


@pytest.fixture
def staff_client(dash_app: Flask, add_credential: Callable[..., tuple[str, str]]) -> FlaskClient:
    client = dash_app.test_client()
    assert sign_in(client, *add_credential("analytics/staff")).status_code == 303
    return client


@pytest.fixture
def backend() -> str:
    """Dashboards use the store only for credentials and audit: one backend is enough."""
    return "sqlite"


@pytest.fixture(scope="module")
def mod_app(tmp_path_factory: pytest.TempPathFactory, planted: Fixture) -> Iterator[Flask]:
    """One app per module for read-only page tests (argon2 sign-ins are slow)."""
    from tests.conftest import FakeClock, make_store

    tmp = tmp_path_factory.mktemp("app")
    opened = make_store("sqlite", tmp)
    yield make_app(opened, FakeClock(), tmp, planted.path)
    opened.close()


def _module_client(app: Flask, scope: str) -> FlaskClient:
    cred, secret = new_credential(scope, [scope], 1, key=f"mod-{scope}", secret="s")
    services(app).store.add_credential(cred)
    client = app.test_client()
    assert sign_in(client, cred.key, secret).status_code == 303
    return client


@pytest.fixture(scope="module")
def mod_reader(mod_app: Flask) -> FlaskClient:
    """A module-wide client signed in with ``analytics/read``."""
    return _module_client(mod_app, "analytics/read")


@pytest.fixture(scope="module")
def mod_staff(mod_app: Flask) -> FlaskClient:
    """A module-wide client signed in with ``analytics/staff``."""
    return _module_client(mod_app, "analytics/staff")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """One headless Chromium for the whole session (the browser tests share it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(90)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
