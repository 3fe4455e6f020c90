"""Web security of the dashboards and the API: escaping, CSRF, CSP and the other headers.

Hostile department and competency names arrive through the real import endpoint and must
never appear unescaped on any page (and, when Debian's chromium is installed, never run).
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
from flask import Flask
from flask.testing import FlaskClient

from analytics.resources import warehouse_for
from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from tests.dashboards.fixture_warehouse import build

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PAGES = [
    "/dashboards/",
    "/dashboards/heatmap",
    "/dashboards/heatmap?metric=readiness",
    "/dashboards/department/D1",
    "/dashboards/department/D2",
    "/dashboards/expiry",
    "/dashboards/protocols",
    "/dashboards/content",
    "/dashboards/safety",
]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def backend() -> str:
    """The store holds only credentials and audit here: one backend is enough."""
    return "sqlite"


def _csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _import_hostile_names(
    store: Any, clock: Any, data_dir: Path, depts: list[str], comps: list[str]
) -> dict[str, list[tuple[str, str]]]:
    """Import hostile names through the real endpoint into a real warehouse; read them back."""
    app = create_app(Settings(data_dir=data_dir, secret_key="t"), store=store, clock=clock)
    admin, _ = new_credential("admin", ["admin"], clock(), key="adm", secret="adm-s")
    services(app).store.add_credential(admin)
    auth = {"Authorization": "Basic " + base64.b64encode(b"adm:adm-s").decode()}
    client = app.test_client()
    assert client.post("/analytics/refresh", headers=auth).status_code == 200
    rows = {
        "departments": [
            f'{d},"{PAYLOADS[i % 2].replace(chr(34), chr(34) * 2)}",Medicine,med_surg,N'
            for i, d in enumerate(depts)
        ],
        "competencies": [
            f'{c},"{PAYLOADS[(i + 1) % 2].replace(chr(34), chr(34) * 2)}",clinical,2,365'
            for i, c in enumerate(comps)
        ],
    }
    headers = {
        "departments": "department_id,name,service_line,unit_type,site",
        "competencies": "competency_id,name,category,criticality,half_life_days",
    }
    for kind, lines in rows.items():
        resp = client.post(
            f"/analytics/imports/{kind}",
            data=_csv(headers[kind], lines),
            headers={**auth, "Content-Type": "text/csv"},
        )
        assert resp.status_code == 200 and resp.get_json()["loaded"] == len(lines), resp.get_json()
    with warehouse_for(services(app).settings).read() as conn:
        return {
            "departments": conn.execute("SELECT department_id, name FROM departments").fetchall(),
            "competencies": conn.execute("SELECT competency_id, name FROM competencies").fetchall(),
        }


@pytest.fixture
def hostile(store: Any, clock: Any, tmp_path: Path) -> Flask:
    """The fixture hospital, its department and competency names replaced by imported ones."""
    planted = build(tmp_path / "wh" / "warehouse.duckdb")
    imported = _import_hostile_names(
        store, clock, tmp_path / "real", planted.departments, planted.competencies
    )
    with duckdb.connect(str(planted.path)) as conn:
        for table, key in (("departments", "department_id"), ("competencies", "competency_id")):
            for ident, name in imported[table]:
                conn.execute(f"UPDATE {table} SET name = ? WHERE {key} = ?", [name, ident])
    assert all(name in PAYLOADS for _, name in imported["departments"])
    settings = Settings(data_dir=tmp_path, secret_key="t", warehouse_path=str(planted.path))
    return create_app(settings, store=store, clock=clock)


def signed_in(app: Flask, clock: Any, *scopes: str) -> FlaskClient:
    cred, _secret = new_credential("viewer", scopes, clock(), key="viewer", secret="viewer-s")
    services(app).store.add_credential(cred)
    client = app.test_client()
    token = CSRF.search(client.get("/dashboards/sign-in").get_data(as_text=True))
    assert token is not None
    data = {"key": "viewer", "secret": "viewer-s", "csrf_token": token.group(1)}
    assert client.post("/dashboards/sign-in", data=data).status_code == 303
    return client


def test_hostile_names_are_escaped_on_every_page(hostile: Flask, clock: Any) -> None:
    client = signed_in(hostile, clock, "analytics/staff")
    shown = 0
    for path in PAGES:
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, (path, html[:300])
        for payload in PAYLOADS:
            assert payload not in html, path
        assert "<img" not in html and re.search(r"<[^>]+\son[a-z]+\s*=", html) is None
        shown += ESCAPED in html or "\\u003cscript\\u003e" in html
    assert shown >= 3  # the names are really rendered (escaped), not just absent


def test_import_is_audited_without_row_values(store: Any, clock: Any, tmp_path: Path) -> None:
    _import_hostile_names(store, clock, tmp_path, ["D1"], ["C1"])
    imports = [e for e in store.list_audit() if e.action == "analytics.import"]
    assert [e.detail["kind"] for e in imports] == ["departments", "competencies"]
    assert all("alert" not in str(e.detail) for e in imports)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (found.get("method") or "get").lower(), "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(found.get("name"))


def test_every_post_form_carries_a_csrf_token(hostile: Flask, clock: Any) -> None:
    client = signed_in(hostile, clock, "analytics/staff")
    pages = [client.get(p).get_data(as_text=True) for p in PAGES]
    pages.append(hostile.test_client().get("/dashboards/sign-in").get_data(as_text=True))
    posts = 0
    for html in pages:
        parser = _Forms()
        parser.feed(html)
        for form in parser.forms:
            if form["method"] == "post":
                posts += 1
                assert "csrf_token" in form["inputs"]
    assert posts >= len(pages)  # sign-out on every page, the sign-in form
    stranger = hostile.test_client()
    forged = stranger.post("/dashboards/sign-in", data={"key": "viewer", "secret": "viewer-s"})
    assert forged.status_code == 400  # right key and secret, but no CSRF token: not signed in
    assert stranger.get("/dashboards/").status_code == 302


def test_api_responses_carry_security_headers(client: FlaskClient) -> None:
    for path in ("/xapi/about", "/healthz", "/xapi/statements"):
        resp = client.get(path, headers={"X-Experience-API-Version": "1.0.3"})
        assert (
            resp.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        )
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in resp.headers
    tls = client.get("/healthz", base_url="https://lrs.example")
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=")


def test_dashboard_pages_keep_their_strict_page_policy(hostile: Flask, clock: Any) -> None:
    client = signed_in(hostile, clock, "analytics/read")
    resp = client.get("/dashboards/heatmap")
    csp = resp.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp and resp.headers["X-Frame-Options"] == "DENY"
    html = resp.get_data(as_text=True)
    assert re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", html) is None
    assert re.search(r"<[^>]+\son[a-z]+\s*=", html) is None  # no inline event handlers


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("Debian chromium + chromium-driver not installed (run `make browsers`)")
    from tests.dashboards.conftest import driver

    gen = driver.__wrapped__()  # type: ignore[attr-defined]
    drv = next(gen)
    try:
        yield drv
    finally:
        gen.close()


def test_hostile_names_never_run_in_a_browser(hostile: Flask, clock: Any, browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    from tests.dashboards.test_browser import _sign_in, _wait_figures
    from tests.live import serve

    cred, secret = new_credential("staff", ["analytics/staff"], clock(), key="st", secret="st-s")
    services(hostile).store.add_credential(cred)
    with serve(hostile) as base:
        _sign_in(browser, base, "st", secret)
        for path in PAGES:
            browser.get(base + path)
            _wait_figures(browser)
            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text  # noqa: B018
            assert (
                browser.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
            )
