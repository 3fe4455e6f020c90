"""Every ID token check refuses: wrong iss/aud, expired, bad nonce, alg none, HS256-with-public-key,
replayed state, a state from another browser, and an unmapped person (all audited)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from lrs.extensions import services
from tests.sso.fake_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider


def begin(client: FlaskClient) -> dict[str, str]:
    """Start a sign-in; return the authorization request's parameters."""
    resp = client.get("/dashboards/oidc/start?next=/dashboards/heatmap")
    assert resp.status_code == 303
    params = {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}
    return params


def finish(client: FlaskClient, state: str, code: str = "the-code") -> Any:
    return client.get(f"/dashboards/oidc/callback?code={code}&state={state}")


def refusals(app: Flask) -> list[Any]:
    return [e for e in services(app).store.list_audit(limit=1000) if "refused" in e.action]


def _unsigned(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _hs256_with_public_key(p: FakeProvider, nonce: str) -> str:
    # The classic key-confusion attack: HMAC keyed with the provider's public key.
    header = {"alg": "HS256", "typ": "JWT", "kid": p.kid}
    body = json.dumps(p.claims(nonce)).encode()
    signing = (
        base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
        + b"."
        + base64.urlsafe_b64encode(body).rstrip(b"=")
    )
    import hmac

    mac = hmac.new(p.public_pem(), signing, hashlib.sha256).digest()
    return (signing + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def test_valid_token_signs_in_with_pkce_and_basic_auth(
    rp_app: Flask, fake_provider: FakeProvider
) -> None:
    client = rp_app.test_client()
    params = begin(client)
    assert params["code_challenge_method"] == "S256"
    assert params["scope"].split() == ["openid", "profile", "email", "groups"]
    fake_provider.id_token = fake_provider.sign(fake_provider.claims(params["nonce"]))
    resp = finish(client, params["state"])
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert resp.headers["Location"].endswith("/dashboards/heatmap")
    sent = fake_provider.token_requests[-1]
    verifier = sent["form"]["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == params["code_challenge"]
    assert sent["basic"] == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert sent["form"]["code"] == "the-code"
    assert refusals(rp_app) == []


CASES: dict[str, tuple[Callable[[FakeProvider, str], str], str]] = {
    "wrong issuer": (lambda p, n: p.sign(p.claims(n, iss="https://evil.example")), "iss"),
    "wrong audience": (lambda p, n: p.sign(p.claims(n, aud="someone-else")), "aud"),
    "expired": (
        lambda p, n: p.sign(p.claims(n, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
        "exp",
    ),
    "bad nonce": (lambda p, n: p.sign(p.claims("not-" + n)), "nonce"),
    "no nonce": (lambda p, n: p.sign(p.claims(n, nonce=None)), "nonce"),
    "alg none": (lambda p, n: _unsigned(p.claims(n)), "alg"),
    "hs256 with the public key": (_hs256_with_public_key, "alg"),
    "signed by another key": (
        lambda p, n: jwt.encode(
            p.claims(n),
            FakeProvider().key,
            algorithm="RS256",
            headers={"kid": p.kid},
        ),
        "signature",
    ),
    "unknown kid": (lambda p, n: p.sign(p.claims(n), kid="nobody"), "kid"),
    "future iat": (lambda p, n: p.sign(p.claims(n, iat=int(time.time()) + 3600)), "iat"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_token_refused_and_audited(
    case: str, rp_app: Flask, fake_provider: FakeProvider
) -> None:
    make, rule = CASES[case]
    client = rp_app.test_client()
    params = begin(client)
    fake_provider.id_token = make(fake_provider, params["nonce"])
    resp = finish(client, params["state"])
    assert resp.status_code == 403
    assert "Single sign-on refused" in resp.get_data(as_text=True)
    assert f"check failed: {rule})" in resp.get_data(as_text=True)
    assert client.get("/dashboards/heatmap").status_code in (302, 303)  # still signed out
    audited = refusals(rp_app)
    assert len(audited) == 1 and rule in json.dumps(audited[0].detail)


def test_replayed_state_refused(rp_app: Flask, fake_provider: FakeProvider) -> None:
    client = rp_app.test_client()
    params = begin(client)
    fake_provider.id_token = fake_provider.sign(fake_provider.claims(params["nonce"]))
    path = rp_app.config["SESSION_COOKIE_PATH"]
    cookie = client.get_cookie("lrs_dashboards", path=path)
    assert cookie is not None
    assert finish(client, params["state"]).status_code == 303
    # the attacker replays the callback with the browser's pre-callback cookie
    replay = rp_app.test_client()
    replay.set_cookie("lrs_dashboards", cookie.value, path=path)
    resp = finish(replay, params["state"])
    assert resp.status_code == 400
    assert "already used or has expired" in resp.get_data(as_text=True)
    assert len(fake_provider.token_requests) == 1  # the code was never redeemed twice
    assert len(refusals(rp_app)) == 1


def test_state_from_another_browser_refused(rp_app: Flask, fake_provider: FakeProvider) -> None:
    params = begin(rp_app.test_client())
    fake_provider.id_token = fake_provider.sign(fake_provider.claims(params["nonce"]))
    resp = finish(rp_app.test_client(), params["state"])  # login CSRF: victim's browser
    assert resp.status_code == 400
    assert fake_provider.token_requests == []


def test_expired_pending_sign_in_refused(
    rp_app: Flask, fake_provider: FakeProvider, clock: Any
) -> None:
    client = rp_app.test_client()
    params = begin(client)
    fake_provider.id_token = fake_provider.sign(fake_provider.claims(params["nonce"]))
    clock.advance(11 * 60)
    assert finish(client, params["state"]).status_code == 400


def test_unmapped_person_refused_with_clear_page(
    rp_app: Flask, fake_provider: FakeProvider
) -> None:
    client = rp_app.test_client()
    params = begin(client)
    claims = fake_provider.claims(params["nonce"], groups=["cafeteria"], email="bob@h.test")
    fake_provider.id_token = fake_provider.sign(claims)
    resp = finish(client, params["state"])
    assert resp.status_code == 403
    assert "none of your groups gives access" in resp.get_data(as_text=True)
    audited = refusals(rp_app)
    assert len(audited) == 1 and audited[0].actor == "bob@h.test"


def test_provider_error_answer_refused(rp_app: Flask) -> None:
    client = rp_app.test_client()
    params = begin(client)
    resp = client.get(f"/dashboards/oidc/callback?error=access_denied&state={params['state']}")
    assert resp.status_code == 403
    assert "access_denied" in resp.get_data(as_text=True)


def test_mixed_up_issuer_parameter_refused(rp_app: Flask, fake_provider: FakeProvider) -> None:
    client = rp_app.test_client()
    params = begin(client)
    resp = client.get(
        f"/dashboards/oidc/callback?code=c&state={params['state']}&iss=https://evil.example"
    )
    assert resp.status_code == 400
    assert fake_provider.token_requests == []


def test_routes_answer_404_when_sso_is_off(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/dashboards/oidc/start").status_code == 404
    assert client.get("/dashboards/oidc/callback?state=x&code=y").status_code == 404
    assert "sign-in-provider" not in client.get("/dashboards/sign-in").get_data(as_text=True)


def test_sign_in_page_offers_the_provider(rp_app: Flask) -> None:
    page = rp_app.test_client().get("/dashboards/sign-in").get_data(as_text=True)
    assert "Sign in with Test IdP" in page and 'href="/dashboards/oidc/start"' in page


def test_client_secret_post(
    store: Any, clock: Any, tmp_path: Any, fake_provider: FakeProvider
) -> None:
    from lrs.app import create_app
    from tests.sso.conftest import sso_settings

    settings = sso_settings(tmp_path, fake_provider.issuer, oidc_token_auth="client_secret_post")
    client = create_app(settings, store=store, clock=clock).test_client()
    params = begin(client)
    fake_provider.id_token = fake_provider.sign(fake_provider.claims(params["nonce"]))
    assert finish(client, params["state"]).status_code == 303
    sent = fake_provider.token_requests[-1]
    assert sent["basic"] == ""
    assert sent["form"]["client_id"] == CLIENT_ID
    assert sent["form"]["client_secret"] == CLIENT_SECRET


def test_bad_group_map_stops_the_app(
    store: Any, tmp_path: Any, fake_provider: FakeProvider
) -> None:
    from lrs.app import create_app
    from tests.sso.conftest import sso_settings

    settings = sso_settings(
        tmp_path, fake_provider.issuer, oidc_group_map='{"g": {"roles": ["x"]}}'
    )
    with pytest.raises(ValueError, match="LRS_OIDC_GROUP_MAP"):
        create_app(settings, store=store)


def test_unreachable_provider_gives_a_clear_502(store: Any, clock: Any, tmp_path: Any) -> None:
    # a loopback port nobody listens on (bound, then closed)
    import socket

    from lrs.app import create_app
    from tests.sso.conftest import sso_settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = sso_settings(tmp_path, f"http://127.0.0.1:{port}")
    resp = (
        create_app(settings, store=store, clock=clock).test_client().get("/dashboards/oidc/start")
    )
    assert resp.status_code == 502
    assert "could not be reached" in resp.get_data(as_text=True)


def _signed_in(client: FlaskClient, p: FakeProvider) -> str:
    params = begin(client)
    p.id_token = p.sign(p.claims(params["nonce"]))
    assert finish(client, params["state"]).status_code == 303
    with client.session_transaction() as sess:
        token = sess["csrf"]
    assert isinstance(token, str)
    return token


def test_sign_out_goes_on_to_the_provider_logout(
    rp_app: Flask, fake_provider: FakeProvider
) -> None:
    client = rp_app.test_client()
    csrf = _signed_in(client, fake_provider)
    resp = client.post("/dashboards/sign-out", data={"csrf_token": csrf})
    assert resp.status_code == 303 and resp.headers["Location"] == "/dashboards/oidc/signed-out"
    page = client.get("/dashboards/oidc/signed-out")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"{fake_provider.issuer}/logout?id_token_hint=" in html
    link = re.search(r'id="provider-sign-out" href="([^"]+)"', html)
    assert link is not None
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["id_token_hint"] == [fake_provider.id_token]
    assert query["post_logout_redirect_uri"] == ["http://localhost/dashboards/sign-in"]
    assert query["client_id"] == [CLIENT_ID]
    # the forwarding URL is used once; our session is already over
    assert client.get("/dashboards/oidc/signed-out").headers["Location"] == "/dashboards/sign-in"
    assert [e.action for e in services(rp_app).store.list_audit(limit=100)][-1] == (
        "people.sign_out"
    )


def test_sign_out_without_end_session_endpoint_stays_local(
    rp_app: Flask, fake_provider: FakeProvider
) -> None:
    fake_provider.end_session = False
    client = rp_app.test_client()
    csrf = _signed_in(client, fake_provider)
    resp = client.post("/dashboards/sign-out", data={"csrf_token": csrf})
    assert (
        resp.status_code == 303 and resp.headers["Location"] == "/dashboards/sign-in?signed-out=1"
    )
