"""Least privilege: walk every route x method and prove strangers and unrelated scopes are refused.

Three kinds of route:

* ``@require(...)`` views (``view.required_scopes``): an anonymous request gets 401 and a
  credential holding every scope that does *not* grant the route gets 403, both with the JSON
  error body (no data);
* the dashboards' HTML pages (signed session, no Basic auth): listed in ``SESSION`` with the
  scope they need; anonymous and Basic-authenticated requests are redirected to the sign-in
  page, a credential without an analytics scope cannot sign in, and a staff-only export refuses
  an ``analytics/read`` session;
* ``PUBLIC`` routes, each with the reason it must be reachable before authentication.

A route in none of these fails the walk, so a new endpoint cannot ship without a scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask

from lrs.auth import Principal
from lrs.credentials import SCOPES, new_credential
from lrs.extensions import services
from statements.store.base import Credential

# (rule, method) → why it is reachable without credentials.
PUBLIC: dict[tuple[str, str], str] = {
    ("/xapi/about", "GET"): "xAPI About: the spec requires it to be public (versions only)",
    ("/healthz", "GET"): "liveness probe for the orchestrator; answers {'status': 'ok'} only",
    ("/readyz", "GET"): "readiness probe; reports store/warehouse up or down, no data",
    ("/openapi.json", "GET"): (
        "the static API description, identical for every installation and published in the "
        "source repository; holds no data"
    ),
    ("/", "GET"): "redirects to /dashboards/ (no data; the dashboards ask for sign-in)",
    ("/dashboards/sign-in", "GET"): "the sign-in form itself",
    ("/dashboards/sign-in", "POST"): (
        "checks a person's email + password (+ TOTP) or the key + secret fallback itself "
        "(CSRF token required)"
    ),
    ("/dashboards/sign-in/demo", "POST"): (
        "signs in as the demo leader, only where the demo hospital is loaded (CSRF required)"
    ),
    ("/dashboards/sign-out", "POST"): "ends the caller's own session (CSRF token required)",
    ("/dashboards/oidc/start", "GET"): (
        "sends the browser to the OpenID provider (no data; 404 when LRS_OIDC_ISSUER is unset)"
    ),
    ("/dashboards/oidc/signed-out", "GET"): (
        "after sign-out, forwards to the provider's logout URL kept in the caller's own cookie"
    ),
    ("/dashboards/oidc/callback", "GET"): (
        "the provider's answer: single-use state, PKCE, and a fully validated ID token are "
        "required before any session starts"
    ),
    ("/dashboards/static/<path:filename>", "GET"): "CSS/JS of the sign-in page (no data)",
    ("/dashboards/vendor/plotly.min.js", "GET"): "the plotly.js library, served locally",
}
# Dashboard pages behind the signed session: endpoint → the scope they need.
SESSION: dict[str, str] = {
    "dashboards.overview": "analytics/read",
    "dashboards.heatmap": "analytics/read",
    "dashboards.department": "analytics/read",
    "dashboards.expiry": "analytics/read",
    "dashboards.protocols": "analytics/read",
    "dashboards.content": "analytics/read",
    "dashboards.safety": "analytics/read",
    "dashboards.clearance_csv": "analytics/staff",
    "dashboards.alerts": "analytics/read",
    "dashboards.alerts_subscribe": "analytics/read",
    "dashboards.alerts_remove": "analytics/read",
}
ARGS = {
    "kind": "staff",
    "department_id": "d1",
    "filename": "x.css",
    "name": "dest1",
    "sub_id": "s1",
}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
ERROR_KEYS = {"error", "errors", "status"}


def routes(app: Flask) -> Iterator[tuple[Any, str, str]]:
    """(rule, method, concrete path) for every route of the app."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: ARGS[m.group(1)], rule.rule)
        for method in sorted(set(rule.methods or ()) - SKIPPED_METHODS):
            yield rule, method, path


def unrelated_scopes(required: tuple[str, ...]) -> list[str]:
    """Every scope that, alone, does not grant any of ``required``."""
    out = []
    for scope in SCOPES:
        probe = Credential("probe", "-", "probe", (scope,), {}, "2026-01-01T00:00:00.000Z")
        if not Principal(probe).has_any(*required):
            out.append(scope)
    return out


def _refused(resp: Any, status: int) -> str | None:
    body = resp.get_json(silent=True)
    if resp.status_code != status or not isinstance(body, dict) or set(body) != ERROR_KEYS:
        return f"got {resp.status_code} {resp.get_data(as_text=True)[:120]!r}"
    return None


def _redirected_to_sign_in(resp: Any) -> bool:
    return resp.status_code == 302 and "/dashboards/sign-in" in resp.headers.get("Location", "")


def violations(app: Flask, credential: Callable[..., dict[str, str]]) -> list[str]:
    """Every route that is not refused as it should be (empty when least privilege holds)."""
    client = app.test_client()
    version = {"X-Experience-API-Version": "1.0.3"}
    made: dict[tuple[str, ...], dict[str, str]] = {}

    def holding(*scopes: str) -> dict[str, str]:  # one credential per scope set (argon2 is slow)
        if scopes not in made:
            made[scopes] = credential(*scopes)
        return made[scopes]

    every = holding(*SCOPES)
    problems = []
    for rule, method, path in routes(app):
        where = f"{method} {rule.rule}"
        view = app.view_functions[rule.endpoint]
        if (rule.rule, method) in PUBLIC:
            continue
        if rule.endpoint in SESSION:
            for headers in (version, every):
                resp = client.open(path, method=method, headers=headers)
                if not _redirected_to_sign_in(resp):
                    problems.append(f"{where}: not redirected to sign-in ({resp.status_code})")
            continue
        required = getattr(view, "required_scopes", None)
        if not required:
            problems.append(f"{where}: no @require scope and not listed as PUBLIC or SESSION")
            continue
        anonymous = _refused(client.open(path, method=method, headers=version), 401)
        if anonymous:
            problems.append(f"{where}: anonymous {anonymous}")
        others = unrelated_scopes(required)
        if others:
            resp = client.open(path, method=method, headers=holding(*others))
            wrong = _refused(resp, 403)
            if wrong:
                problems.append(f"{where}: scopes {others} {wrong}")
    return problems


def test_every_route_refuses_strangers_and_unrelated_scopes(
    app: Flask, credential: Callable[..., dict[str, str]]
) -> None:
    assert violations(app, credential) == []
    walked = {(r.rule, m) for r, m, _ in routes(app)}
    assert set(PUBLIC) <= walked, "a PUBLIC entry names no route: keep the list exact"
    assert set(SESSION) <= {r.endpoint for r in app.url_map.iter_rules()}


def test_public_routes_are_only_the_listed_ones(app: Flask) -> None:
    public_api = {rule for rule, _ in PUBLIC if not rule.startswith("/dashboards/")}
    assert public_api == {"/", "/xapi/about", "/healthz", "/readyz", "/openapi.json"}
    assert not any(r.endpoint == "static" for r in app.url_map.iter_rules())


def test_the_walk_catches_a_route_without_a_scope(
    app: Flask, credential: Callable[..., dict[str, str]]
) -> None:
    app.add_url_rule("/analytics/leak", "leak", lambda: {"rows": [1]}, methods=["GET"])
    assert violations(app, credential) == [
        "GET /analytics/leak: no @require scope and not listed as PUBLIC or SESSION"
    ]


def test_the_walk_catches_a_require_without_scopes(
    app: Flask, credential: Callable[..., dict[str, str]]
) -> None:
    from lrs.auth import require

    app.add_url_rule("/analytics/open", "open", require()(lambda: {"rows": [1]}), methods=["GET"])
    assert violations(app, credential) == [
        "GET /analytics/open: no @require scope and not listed as PUBLIC or SESSION"
    ]


def test_dashboards_refuse_credentials_without_analytics_scopes(app: Flask, clock: Any) -> None:
    client = app.test_client()
    page = client.get("/dashboards/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    cred, secret = new_credential(
        "admin", ["all", "admin", "metrics"], clock(), key="ad", secret="s"
    )
    services(app).store.add_credential(cred)
    resp = client.post(
        "/dashboards/sign-in",
        data={"key": "ad", "secret": secret, "csrf_token": token.group(1)},
    )
    assert resp.status_code == 403
    assert _redirected_to_sign_in(client.get("/dashboards/"))


def test_staff_export_refuses_an_aggregate_reader(app: Flask, clock: Any) -> None:
    client = app.test_client()
    cred, secret = new_credential("reader", ["analytics/read"], clock(), key="rd", secret="s")
    services(app).store.add_credential(cred)
    page = client.get("/dashboards/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {"key": "rd", "secret": secret, "csrf_token": token.group(1)}
    assert client.post("/dashboards/sign-in", data=data).status_code == 303
    resp = client.get("/dashboards/clearance.csv?task_id=t1")
    assert resp.status_code == 403 and "evidence" not in resp.get_data(as_text=True)
