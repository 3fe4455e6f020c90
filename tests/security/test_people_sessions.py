"""People's local sign-in and server-side sessions: password, TOTP, rotation, timeouts,
sign-out, CSRF, audit events, the demo button and the sign-out/sign-in hooks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from lrs.extensions import services
from lrs.people.admin import ensure_demo_leader
from lrs.people.passwords import totp_ok
from lrs.people.session import add_sign_in_button, register_sign_out_hook
from statements.people import Scope
from tests.dashboards.fixture_warehouse import Fixture, build
from tests.security.people_helpers import PASSWORD, add_person, csrf, people_app, sign_in

UNIT = Scope(departments=("D2",))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("sessions-wh") / "warehouse.duckdb")


@pytest.fixture
def app(store: Any, clock: Any, tmp_path: Path, warehouse: Fixture) -> Iterator[Flask]:
    yield people_app(store, clock, tmp_path, warehouse.path)


def _actions(app: Flask) -> list[str]:
    return [e.action for e in services(app).store.list_audit()]


def _signed_in(client: Any) -> bool:
    return client.get("/dashboards/heatmap").status_code == 200


def test_password_sign_in_audits_and_refuses_wrong_passwords(app: Flask) -> None:
    add_person(app, "ann@example.org", ("viewer",), UNIT)
    client = app.test_client()
    assert sign_in(client, "ann@example.org", "wrong password!").status_code == 401
    assert sign_in(client, "nobody@example.org").status_code == 401
    assert not _signed_in(client)
    assert sign_in(client, "ANN@example.org").status_code == 303
    assert _signed_in(client)
    entries = services(app).store.list_audit()
    refused = [e for e in entries if e.action == "people.sign_in_refused"]
    assert len(refused) == 2 and all(PASSWORD not in str(e.detail) for e in entries)
    assert entries[-1].action == "people.sign_in" and entries[-1].actor.startswith("person:")


def test_totp_is_required_when_set_up(app: Flask, clock: Any) -> None:
    secret = pyotp.random_base32()
    add_person(app, "t@example.org", ("viewer",), UNIT, totp_secret=secret)
    client = app.test_client()
    assert sign_in(client, "t@example.org").status_code == 401  # no code
    assert sign_in(client, "t@example.org", code="000000").status_code in (401, 303)
    code = pyotp.TOTP(secret).at(clock.now // 1_000_000)
    assert sign_in(client, "t@example.org", code=code).status_code == 303


def test_totp_rfc6238_vector() -> None:
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) → 287082 with 6 digits
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert pyotp.TOTP(secret, digits=8).at(59) == "94287082"
    assert totp_ok(secret, "287082", 59) and not totp_ok(secret, "287083", 59)
    assert not totp_ok(secret, "287082", 59 + 120)  # two steps later: refused


def test_sign_in_rotates_the_session_and_ends_the_old_one(app: Flask) -> None:
    add_person(app, "r@example.org", ("viewer",), UNIT)
    client = app.test_client()
    sign_in(client, "r@example.org")
    with client.session_transaction() as sess:
        first = sess["sid"]
    sign_in(client, "r@example.org")
    with client.session_transaction() as sess:
        second = sess["sid"]
    assert first != second
    store = services(app).store
    assert store.get_session(hashlib.sha256(first.encode()).hexdigest()).ended
    assert store.get_session(hashlib.sha256(second.encode()).hexdigest()) is not None


def test_idle_and_absolute_timeouts(app: Flask, clock: Any) -> None:
    add_person(app, "i@example.org", ("viewer",), UNIT)
    client = app.test_client()
    sign_in(client, "i@example.org")
    clock.advance(29 * 60)
    assert _signed_in(client)  # 29 minutes idle: still in (and the request counts as activity)
    clock.advance(31 * 60)
    assert not _signed_in(client)  # 31 minutes idle: out
    sign_in(client, "i@example.org")
    for _ in range(19):  # active every 25 minutes for 7 h 55 min: in
        clock.advance(25 * 60)
        assert _signed_in(client)
    clock.advance(25 * 60)
    assert not _signed_in(client)  # 8 h 20 min since sign-in: out, however active


def test_sign_out_is_real_and_csrf_checked(app: Flask) -> None:
    add_person(app, "o@example.org", ("viewer",), UNIT)
    client = app.test_client()
    sign_in(client, "o@example.org")
    with client.session_transaction() as sess:
        copied = dict(sess)
    assert client.post("/dashboards/sign-out").status_code == 400  # no CSRF token
    assert _signed_in(client)
    token = csrf(client, "/dashboards/heatmap")
    resp = client.post("/dashboards/sign-out", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        "/dashboards/sign-in?signed-out=1"
    )
    thief = app.test_client()
    with thief.session_transaction() as sess:
        sess.update(copied)  # a copy of the signed cookie taken before sign-out
    assert not _signed_in(thief)
    assert "people.sign_out" in _actions(app)


def test_sign_in_needs_csrf(app: Flask) -> None:
    add_person(app, "c@example.org", ("viewer",), UNIT)
    client = app.test_client()
    data = {"email": "c@example.org", "password": PASSWORD}
    assert client.post("/dashboards/sign-in", data=data).status_code == 400


def test_disabled_or_roleless_people_are_refused_and_sessions_end(app: Flask) -> None:
    import dataclasses

    person = add_person(app, "d@example.org", ("viewer",), UNIT)
    add_person(app, "none@example.org", (), UNIT)
    add_person(app, "nowhere@example.org", ("viewer",), Scope())
    client = app.test_client()
    assert sign_in(client, "none@example.org").status_code == 403
    assert sign_in(client, "nowhere@example.org").status_code == 403
    assert sign_in(client, "d@example.org").status_code == 303
    store = services(app).store
    store.update_person(dataclasses.replace(person, disabled=True))
    assert not _signed_in(client)
    assert sign_in(client, "d@example.org").status_code == 403


def test_cookie_flags_and_secure_over_https(app: Flask) -> None:
    add_person(app, "s@example.org", ("viewer",), UNIT)
    tls = app.test_client()
    token = csrf(tls, "https://lrs.example/dashboards/sign-in")
    data = {"email": "s@example.org", "password": PASSWORD, "csrf_token": token}
    resp = tls.post("/dashboards/sign-in", data=data, base_url="https://lrs.example")
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("lrs_dashboards="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_demo_button_only_on_the_demo(app: Flask) -> None:
    client = app.test_client()
    assert 'id="demo-sign-in"' not in client.get("/dashboards/sign-in").get_data(as_text=True)
    token = csrf(client)
    assert client.post("/dashboards/sign-in/demo", data={"csrf_token": token}).status_code == 404
    ensure_demo_leader(services(app).store, 1)  # the planted warehouse carries demo_marker
    assert 'id="demo-sign-in"' in client.get("/dashboards/sign-in").get_data(as_text=True)
    resp = client.post("/dashboards/sign-in/demo", data={"csrf_token": csrf(client)})
    assert resp.status_code == 303 and _signed_in(client)
    assert client.get("/dashboards/department/D5").status_code == 200  # every unit


def test_hooks_add_buttons_and_redirect_sign_out(app: Flask) -> None:
    add_sign_in_button(app, "Okta", "/dashboards/oidc/start")
    seen: list[str] = []

    def hook(record: Any) -> str | None:
        seen.append(record.method)
        return "https://idp.example/logout"

    register_sign_out_hook(app, hook)
    add_person(app, "h@example.org", ("viewer",), UNIT)
    client = app.test_client()
    assert "Sign in with Okta" in client.get("/dashboards/sign-in").get_data(as_text=True)
    sign_in(client, "h@example.org")
    resp = client.post("/dashboards/sign-out", data={"csrf_token": csrf(client, "/dashboards/")})
    assert resp.headers["Location"] == "https://idp.example/logout" and seen == ["local"]


def test_key_sign_in_can_be_switched_off(
    store: Any, clock: Any, tmp_path: Path, warehouse: Fixture
) -> None:
    from lrs.credentials import new_credential

    app = people_app(store, clock, tmp_path, warehouse.path, dashboard_key_sign_in=False)
    cred, secret = new_credential("r", ["analytics/read"], clock(), key="rk", secret="rs")
    services(app).store.add_credential(cred)
    client = app.test_client()
    page = client.get("/dashboards/sign-in").get_data(as_text=True)
    assert 'id="key"' not in page
    data = {"key": "rk", "secret": secret, "csrf_token": csrf(client)}
    assert client.post("/dashboards/sign-in", data=data).status_code == 401
    assert not _signed_in(client)


def test_admin_person_runs_sql_with_the_csrf_header(app: Flask) -> None:
    add_person(app, "boss@example.org", ("admin",), Scope(all=True))
    add_person(app, "unitadmin@example.org", ("admin",), UNIT)
    sql = {"sql": "SELECT count(*) AS n FROM departments"}
    scoped = app.test_client()
    sign_in(scoped, "unitadmin@example.org")
    token = csrf(scoped, "/dashboards/")
    resp = scoped.post("/analytics/sql", json=sql, headers={"X-CSRF-Token": token})
    assert resp.status_code == 403  # arbitrary SQL cannot be limited to one unit
    client = app.test_client()
    sign_in(client, "boss@example.org")
    assert client.post("/analytics/sql", json=sql).status_code == 403  # no CSRF header
    token = csrf(client, "/dashboards/")
    resp = client.post("/analytics/sql", json=sql, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200 and resp.get_json()["rows"][0]["n"] == 6
    last = services(app).store.list_audit()[-1]
    assert last.action == "analytics.sql" and last.actor.startswith("person:")


def test_ten_refusals_lock_an_email_for_15_minutes(app: Flask, clock: Any) -> None:
    add_person(app, "g@example.org", ("viewer",), UNIT)
    client = app.test_client()
    for _ in range(10):
        assert sign_in(client, "g@example.org", "guess guess guess").status_code == 401
    assert sign_in(client, "G@example.org").status_code == 429  # even the right password
    assert sign_in(client, "other@example.org", "x").status_code == 401  # other emails: not locked
    clock.advance(16 * 60)
    assert sign_in(client, "g@example.org").status_code == 303
