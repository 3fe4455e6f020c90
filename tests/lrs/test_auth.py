"""HTTP Basic authentication and xAPI scopes."""

from __future__ import annotations

import base64
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from lrs.extensions import services
from tests.factories import make_statement


def test_missing_and_wrong_credentials_are_401(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    version = {"X-Experience-API-Version": "1.0.3"}
    resp = client.get("/xapi/statements", headers=version)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    bad = base64.b64encode(b"key0:wrong").decode()
    assert (
        client.get(
            "/xapi/statements", headers={**version, "Authorization": f"Basic {bad}"}
        ).status_code
        == 401
    )
    assert (
        client.get("/xapi/statements", headers={**version, "Authorization": "Basic !!"}).status_code
        == 401
    )


def test_scopes(client: FlaskClient, credential: Callable[..., dict[str, str]]) -> None:
    reader = credential("statements/read")
    writer = credential("statements/write")
    assert client.post("/xapi/statements", json=make_statement(), headers=reader).status_code == 403
    assert client.post("/xapi/statements", json=make_statement(), headers=writer).status_code == 200
    assert client.get("/xapi/statements", headers=writer).status_code == 403
    assert client.get("/xapi/statements", headers=reader).status_code == 200


def test_read_mine_sees_only_own_statements(
    client: FlaskClient, credential: Callable[..., dict[str, str]]
) -> None:
    mine = credential("statements/write", "statements/read/mine")
    other = credential("statements/write")
    [own_id] = client.post("/xapi/statements", json=make_statement(), headers=mine).get_json()
    [other_id] = client.post("/xapi/statements", json=make_statement(), headers=other).get_json()
    listed = client.get("/xapi/statements", headers=mine).get_json()["statements"]
    assert [s["id"] for s in listed] == [own_id]
    assert client.get(f"/xapi/statements?statementId={other_id}", headers=mine).status_code == 404


def test_revoked_credential_is_refused_at_once(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    assert client.get("/xapi/statements", headers=headers).status_code == 200
    services(app).store.revoke_credential("key0")
    assert client.get("/xapi/statements", headers=headers).status_code == 401
