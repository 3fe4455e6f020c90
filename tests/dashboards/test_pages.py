"""Dashboard pages over HTTP: sign-in, scopes, CSRF, cookie flags, audit, messages, exports."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lrs.extensions import services
from tests.dashboards.conftest import CSRF, make_app, sign_in
from tests.dashboards.fixture_warehouse import build

PAGES = [
    "/dashboards/",
    "/dashboards/heatmap",
    "/dashboards/heatmap?metric=readiness",
    "/dashboards/department/D1",
    "/dashboards/expiry",
    "/dashboards/protocols",
    "/dashboards/content",
    "/dashboards/safety",
]


def _audit(app: Flask, action: str) -> list[Any]:
    return [e for e in services(app).store.list_audit() if e.action == action]


def test_signed_out_visitor_is_sent_to_sign_in(dash_app: Flask) -> None:
    resp = dash_app.test_client().get("/dashboards/heatmap?metric=readiness")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/dashboards/sign-in?next=/dashboards/heatmap")


def test_credential_without_analytics_scope_is_refused(
    dash_app: Flask, add_credential: Callable[..., tuple[str, str]]
) -> None:
    client = dash_app.test_client()
    resp = sign_in(client, *add_credential("all", "admin"))
    assert resp.status_code == 403
    assert "no analytics scope" in resp.get_data(as_text=True)
    assert client.get("/dashboards/").status_code == 302


def test_wrong_secret_and_missing_csrf_are_refused(
    dash_app: Flask, add_credential: Callable[..., tuple[str, str]]
) -> None:
    key, _ = add_credential("analytics/read")
    client = dash_app.test_client()
    assert sign_in(client, key, "wrong").status_code == 401
    resp = client.post("/dashboards/sign-in", data={"key": key, "secret": "ds0"})
    assert resp.status_code == 400


def test_session_cookie_flags_and_secure_over_tls(
    dash_app: Flask, add_credential: Callable[..., tuple[str, str]]
) -> None:
    key, secret = add_credential("analytics/read")
    client = dash_app.test_client()
    resp = sign_in(client, key, secret)
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("lrs_dashboards="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/;" in cookie
    assert "Secure" not in cookie
    tls = dash_app.test_client()
    page = tls.get("/dashboards/sign-in", base_url="https://lrs.example")
    token = CSRF.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    resp = tls.post(
        "/dashboards/sign-in",
        base_url="https://lrs.example",
        data={"key": key, "secret": secret, "csrf_token": token},
    )
    assert any("Secure" in h for h in resp.headers.getlist("Set-Cookie"))


def test_sign_in_redirects_only_inside_dashboards(
    dash_app: Flask, add_credential: Callable[..., tuple[str, str]]
) -> None:
    key, secret = add_credential("analytics/read")
    ok = sign_in(dash_app.test_client(), key, secret, "/dashboards/safety")
    assert ok.headers["Location"] == "/dashboards/safety"
    evil = sign_in(dash_app.test_client(), key, secret, "//evil.example/x")
    assert evil.headers["Location"] == "/dashboards/"


def test_sign_out_needs_csrf_and_ends_the_session(reader_client: FlaskClient) -> None:
    page = reader_client.get("/dashboards/").get_data(as_text=True)
    assert reader_client.post("/dashboards/sign-out", data={}).status_code == 400
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    assert reader_client.post("/dashboards/sign-out", data={"csrf_token": token}).status_code == 303
    assert reader_client.get("/dashboards/").status_code == 302


def test_revoking_the_credential_ends_the_session(
    dash_app: Flask, add_credential: Callable[..., tuple[str, str]]
) -> None:
    key, secret = add_credential("analytics/read")
    client = dash_app.test_client()
    sign_in(client, key, secret)
    assert client.get("/dashboards/").status_code == 200
    services(dash_app).store.revoke_credential(key)
    assert client.get("/dashboards/").status_code == 302


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_strict_csp(mod_reader: FlaskClient, path: str) -> None:
    resp = mod_reader.get(path)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert "DEMO DATA" in html
    assert re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", html) is None
    assert re.search(r"<table[ >]", html)  # a data table beside every chart


def test_reader_sees_no_staff_rows_and_no_audit(mod_reader: FlaskClient, mod_app: Flask) -> None:
    html = mod_reader.get("/dashboards/department/D1").get_data(as_text=True)
    assert "Status counts" in html and "mailto:" not in html and "ED1-0" not in html
    exp = mod_reader.get("/dashboards/expiry").get_data(as_text=True)
    assert "Export CSV" not in exp and "st-pk-" not in exp
    assert mod_reader.get("/dashboards/clearance.csv").status_code == 403
    assert [
        e for e in _audit(mod_app, "dashboard.staff_view") if e.actor == "mod-analytics/read"
    ] == []


def test_staff_view_shows_names_and_is_audited(mod_staff: FlaskClient, mod_app: Flask) -> None:
    before = len(_audit(mod_app, "dashboard.staff_view"))
    html = mod_staff.get("/dashboards/department/D2").get_data(as_text=True)
    assert "ED2-0" in html and "mailto:pk-D2-0@hospital.example" in html
    entries = _audit(mod_app, "dashboard.staff_view")[before:]
    assert [e.detail for e in entries] == [{"page": "department", "department_id": "D2"}]
    assert entries[0].actor == "mod-analytics/staff"


def test_clearance_csv_lists_evidence_ids_and_is_audited(
    mod_staff: FlaskClient, mod_app: Flask
) -> None:
    resp = mod_staff.get("/dashboards/clearance.csv?task_id=T2&as_of=2026-01-15")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0] == "task_id,as_of,person,department,role,cleared,evidence_statement_ids"
    assert all(line.startswith("T2,2025-12-31,") for line in lines[1:])
    assert any("st-pk-" in line for line in lines[1:])
    assert _audit(mod_app, "dashboard.staff_export")[-1].detail["task_id"] == "T2"


def test_bad_filter_is_a_400_naming_the_parameter(mod_reader: FlaskClient) -> None:
    for query, param in (
        ("as_of=31-01-2026", "as_of"),
        ("role_family=nurse", "role_family"),
        ("metric=mood", "metric"),
    ):
        resp = mod_reader.get(f"/dashboards/heatmap?{query}")
        assert resp.status_code == 400
        assert f"&#39;{param}&#39;" in resp.get_data(as_text=True)


def test_filters_narrow_the_view_and_stay_in_links(mod_reader: FlaskClient) -> None:
    html = mod_reader.get("/dashboards/?site=North&role_family=clinical").get_data(as_text=True)
    assert "Ward A" in html and "Ward C" not in html  # D3 is on the South site
    assert 'href="/dashboards/heatmap?site=North&amp;role_family=clinical"' in html


def test_as_of_selects_the_earlier_month(mod_reader: FlaskClient) -> None:
    html = mod_reader.get("/dashboards/heatmap?as_of=2025-12-15").get_data(as_text=True)
    assert "Readiness heatmap — 2025-12" in html


def test_missing_census_is_flagged(mod_reader: FlaskClient) -> None:
    overview = mod_reader.get("/dashboards/").get_data(as_text=True)
    assert "Census missing for 2026-01: Ward F" in overview
    assert "3 xAPI actors (3 statements) match no staff member" in overview
    safety = mod_reader.get("/dashboards/safety").get_data(as_text=True)
    assert "No census for: Ward F" in safety
    assert safety.count("Association, not causation") >= 3


def test_no_census_at_all_shows_a_message_not_charts(
    store: Any, clock: Any, tmp_path: Path, add_credential: Callable[..., tuple[str, str]]
) -> None:
    fx = build(tmp_path / "nc" / "warehouse.duckdb", census=False, demo=False)
    app = make_app(store, clock, tmp_path, fx.path)
    client = app.test_client()
    sign_in(client, *add_credential("analytics/read"))
    html = client.get("/dashboards/safety").get_data(as_text=True)
    assert "Census data (patient-days) has not been imported" in html
    assert 'data-figure="' not in html and "DEMO DATA" not in html


def test_fresh_install_says_run_refresh(
    store: Any, clock: Any, tmp_path: Path, add_credential: Callable[..., tuple[str, str]]
) -> None:
    app = make_app(store, clock, tmp_path, tmp_path / "none" / "warehouse.duckdb")
    client = app.test_client()
    sign_in(client, *add_credential("analytics/read"))
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 200
        assert "lrs analytics refresh" in resp.get_data(as_text=True)


def test_plotly_js_is_served_locally(dash_app: Flask) -> None:
    resp = dash_app.test_client().get("/dashboards/vendor/plotly.min.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert b"plotly" in resp.get_data()[:2000].lower()
    resp.close()
