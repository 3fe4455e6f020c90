"""End-to-end attachments and signed statements through the app (Communication 1.5.2, Data 2.6).

A few HTTP round trips written with lrs/multipart.py; the lead's full HTTP suite covers the
rest. They use the shared ``client``/``headers`` fixtures (SQLite store under tmp_path).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask.testing import FlaskClient

from lrs.multipart import parse_multipart
from tests.factories import make_statement
from tests.statements.test_signature import sign, signature_attachment, signed_statement

BOUNDARY = "abcABC0123'()+_,-./:=?"
CTYPE = f'multipart/mixed; boundary="{BOUNDARY}"'
TEXT = b"here is a simple attachment"
TEXT_SHA = hashlib.sha256(TEXT).hexdigest()


def text_attachment() -> dict[str, Any]:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": len(TEXT),
        "sha2": TEXT_SHA,
    }


def body(payload: Any, *parts: tuple[str, bytes]) -> bytes:
    """The spec's transmission format: JSON first, then binary parts with their hashes."""
    delimiter = b"--" + BOUNDARY.encode()
    chunks = [delimiter, b"\r\nContent-Type:application/json\r\n\r\n", json.dumps(payload).encode()]
    for content_type, content in parts:
        headers = (
            f"Content-Type:{content_type}\r\nContent-Transfer-Encoding:binary\r\n"
            f"X-Experience-API-Hash:{hashlib.sha256(content).hexdigest()}\r\n\r\n"
        )
        chunks += [b"\r\n", delimiter, b"\r\n", headers.encode(), content]
    return b"".join([*chunks, b"\r\n", delimiter, b"--"])


def post(client: FlaskClient, headers: dict[str, str], raw: bytes) -> Any:
    return client.post("/xapi/statements", data=raw, headers={**headers, "Content-Type": CTYPE})


def test_post_attachment_then_get_it_back(client: FlaskClient, headers: dict[str, str]) -> None:
    statement = make_statement(attachments=[text_attachment()])
    resp = post(client, headers, body(statement, ("text/plain", TEXT)))
    assert resp.status_code == 200, resp.get_json()
    [statement_id] = resp.get_json()

    got = client.get(
        f"/xapi/statements?statementId={statement_id}&attachments=true", headers=headers
    )
    assert got.status_code == 200
    assert got.mimetype == "multipart/mixed"
    document, parts = parse_multipart(got.get_data(), got.headers["Content-Type"])
    assert document["id"] == statement_id
    assert document["attachments"][0]["sha2"] == TEXT_SHA
    assert [(p.sha2, p.content) for p in parts] == [(TEXT_SHA, TEXT)]

    plain = client.get(f"/xapi/statements?statementId={statement_id}", headers=headers)
    assert plain.mimetype == "application/json"


def test_post_rejects_hash_mismatch_and_missing_part(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    statement = make_statement(attachments=[text_attachment()])
    tampered = body(statement, ("text/plain", TEXT)).replace(TEXT, b"here is a tampered attachmen")
    assert post(client, headers, tampered).status_code == 400
    missing = post(client, headers, body(statement))
    assert missing.status_code == 400
    assert missing.get_json()["errors"][0]["rule"] == "attachment_data"
    excess = post(client, headers, body(make_statement(), ("text/plain", TEXT)))
    assert excess.status_code == 400


def test_post_signed_statement(client: FlaskClient, headers: dict[str, str]) -> None:
    original = signed_statement()
    token = sign(original)
    statement = {**original, "attachments": [signature_attachment(token)]}
    resp = post(client, headers, body(statement, ("application/octet-stream", token)))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == [original["id"]]


def test_post_signed_statement_rejects_other_payload(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    token = sign(signed_statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"}))
    statement = {**signed_statement(), "attachments": [signature_attachment(token)]}
    resp = post(client, headers, body(statement, ("application/octet-stream", token)))
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["rule"] == "jws_payload"


def test_post_signed_statement_rejects_hs256(client: FlaskClient, headers: dict[str, str]) -> None:
    original = signed_statement()
    token = sign(original, algorithm="HS256")
    statement = {**original, "attachments": [signature_attachment(token)]}
    resp = post(client, headers, body(statement, ("application/octet-stream", token)))
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["rule"] == "jws_alg"
