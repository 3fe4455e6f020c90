"""Signed Statements (Data 2.6): JWS form, algorithm, payload comparison and x5c verification."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from statements.errors import BadRequest
from statements.signature import check_signature, read_jws, same_statement
from tests.factories import make_statement

STATEMENT_ID = "0b8e4f9c-2e33-4a0c-9d0f-6f6a5d1b1c01"
HMAC_KEY = b"k" * 64


@lru_cache(maxsize=4)
def rsa_key(name: str = "signer") -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key per name, generated once per test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(
    subject: str, key: Any, issuer: str | None = None, issuer_key: Any = None
) -> x509.Certificate:
    """A certificate for ``key``; self-signed unless ``issuer``/``issuer_key`` are given."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or subject)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(1000 + len(subject))
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2021, 1, 1, tzinfo=UTC))  # expired: dates are not checked
        .sign(issuer_key or key, hashes.SHA256())
    )


def x5c(*certs: x509.Certificate) -> list[str]:
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in certs]


def sign(
    payload: Any,
    *,
    algorithm: str = "RS256",
    key: Any = None,
    headers: dict[str, Any] | None = None,
) -> bytes:
    """A JWS compact serialization of ``payload`` (a dict is JSON-serialised; bytes are as-is)."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    if key is None:
        key = HMAC_KEY if algorithm.startswith("HS") else rsa_key()
    return jwt.PyJWS().encode(raw, key, algorithm=algorithm, headers=headers).encode()


def signed_statement(**overrides: Any) -> dict[str, Any]:
    """The statement a client signs: it carries its own id, no LRS-assigned properties."""
    return make_statement(**{"id": STATEMENT_ID, **overrides})


def received(statement: dict[str, Any], token: bytes | None = None) -> dict[str, Any]:
    """``statement`` as the LRS holds it after prepare(): signature attached, LRS properties set."""
    body = json.loads(json.dumps(statement))
    body.setdefault("id", STATEMENT_ID)
    body.setdefault("timestamp", "2026-01-01T00:00:00.001Z")
    body.update(
        stored="2026-01-01T00:00:00.001Z",
        version="1.0.0",
        authority={"objectType": "Agent", "mbox": "mailto:lrs@example.org"},
    )
    body["attachments"] = [*body.get("attachments", []), signature_attachment(token or b"")]
    return body


def signature_attachment(token: bytes) -> dict[str, Any]:
    return {
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "signature"},
        "contentType": "application/octet-stream",
        "length": len(token),
        "sha2": hashlib.sha256(token).hexdigest(),
    }


def assert_rejected(token: bytes, statement: dict[str, Any], rule: str) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        check_signature(token, statement, "$[0].attachments[0]")
    assert caught.value.status == 400
    assert [e.rule for e in caught.value.errors] == [rule]
    assert caught.value.errors[0].path == "$[0].attachments[0]"
    return caught.value


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_valid_signature_is_accepted(algorithm: str) -> None:
    original = signed_statement()
    token = sign(original, algorithm=algorithm)
    result = check_signature(token, received(original, token))
    assert result.statement == original
    assert result.header["alg"] == algorithm
    assert result.certificate is None


def test_payload_without_lrs_assigned_properties_matches() -> None:
    original = make_statement()  # no id, timestamp, version: the LRS assigns them
    token = sign(original)
    check_signature(token, received(original, token))


def test_timestamp_in_another_zone_is_the_same_statement() -> None:
    original = signed_statement(timestamp="2026-01-01T02:00:00.001+02:00")
    token = sign(original)
    check_signature(token, received(signed_statement(timestamp="2026-01-01T00:00:00.001Z"), token))


def test_duration_precision_beyond_hundredths_is_ignored() -> None:
    # xAPI 2.0 conformance: the signed statement says 0.12 s, the posted one 0.1237 s.
    original = signed_statement(result={"duration": "P1DT12H36M0.12S"})
    token = sign(original)
    posted = signed_statement(result={"duration": "P1DT12H36M0.1237S"})
    check_signature(token, received(posted, token))


def test_trailing_whitespace_around_the_token_is_tolerated() -> None:
    original = signed_statement()
    token = sign(original)
    check_signature(b"\r\n" + token + b"\r\n", received(original, token))


def test_payload_with_other_verb_is_rejected() -> None:
    token = sign(signed_statement())
    posted = signed_statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    assert_rejected(token, received(posted, token), "jws_payload")


def test_payload_with_other_id_is_rejected() -> None:
    token = sign(signed_statement(id="6b1c1f3e-7d4a-4c55-8a1e-2f0b6c7d8e9f"))
    assert_rejected(token, received(signed_statement(), token), "jws_payload")


def test_payload_with_other_timestamp_is_rejected() -> None:
    token = sign(signed_statement(timestamp="2025-06-01T00:00:00Z"))
    posted = signed_statement(timestamp="2025-06-01T00:00:01Z")
    assert_rejected(token, received(posted, token), "jws_payload")


def test_payload_missing_a_property_of_the_statement_is_rejected() -> None:
    token = sign(signed_statement())
    posted = signed_statement(result={"completion": True})
    assert_rejected(token, received(posted, token), "jws_payload")


def test_same_statement_ignores_attachments_and_lrs_properties() -> None:
    original = signed_statement()
    assert same_statement(original, received(original))
    assert not same_statement(original, received(signed_statement(result={"success": False})))


@pytest.mark.parametrize("algorithm", ["HS256", "HS512"])
def test_hmac_algorithm_is_rejected(algorithm: str) -> None:
    original = signed_statement()
    token = sign(original, algorithm=algorithm)
    assert_rejected(token, received(original, token), "jws_alg")


def test_other_rsa_family_algorithm_is_rejected() -> None:
    original = signed_statement()
    token = sign(original, algorithm="PS256")
    assert_rejected(token, received(original, token), "jws_alg")


def test_alg_none_is_rejected() -> None:
    original = signed_statement()

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    token = b64(b'{"alg":"none"}') + b"." + b64(json.dumps(original).encode()) + b"."
    assert_rejected(token, received(original, token), "jws_alg")


@pytest.mark.parametrize(
    "token",
    [
        b"not a jws",
        b"abc.def",
        b"!!!.###.$$$",
        b"\xff\xfe.\x00.\x01",
        b'{"payload": "e30", "signatures": []}',
        b"",
    ],
)
def test_malformed_jws_is_rejected(token: bytes) -> None:
    assert_rejected(token, received(signed_statement(), token), "jws")


def test_payload_that_is_not_json_is_rejected() -> None:
    # The conformance suite's "breakJson": the first '"' of the serialisation becomes "'".
    original = signed_statement()
    token = sign(json.dumps(original).replace('"', "'", 1).encode())
    assert_rejected(token, received(original, token), "jws_payload")


def test_payload_that_is_not_an_object_is_rejected() -> None:
    original = signed_statement()
    token = sign([original])
    assert_rejected(token, received(original, token), "jws_payload")


def test_x5c_certificate_verifies_the_signature() -> None:
    key = rsa_key()
    cert = certificate("Signer", key)
    original = signed_statement()
    token = sign(original, key=key, headers={"x5c": x5c(cert)})
    result = check_signature(token, received(original, token))
    assert result.certificate == cert


def test_x5c_chain_is_checked_link_by_link() -> None:
    ca_key, leaf_key = rsa_key("ca"), rsa_key()
    ca = certificate("Example CA", ca_key)
    leaf = certificate("Signer", leaf_key, issuer="Example CA", issuer_key=ca_key)
    original = signed_statement()
    token = sign(original, key=leaf_key, headers={"x5c": x5c(leaf, ca)})
    assert read_jws(token).certificate == leaf
    wrong_order = sign(original, key=leaf_key, headers={"x5c": x5c(ca, leaf)})
    assert_rejected(wrong_order, received(original, wrong_order), "jws_x5c")


def test_x5c_certificate_of_another_key_is_rejected() -> None:
    original = signed_statement()
    other = certificate("Someone else", rsa_key("other"))
    token = sign(original, key=rsa_key(), headers={"x5c": x5c(other)})
    assert_rejected(token, received(original, token), "jws_signature")


def test_x5c_tampered_payload_is_rejected() -> None:
    key = rsa_key()
    original = signed_statement()
    token = sign(original, key=key, headers={"x5c": x5c(certificate("Signer", key))})
    header, _payload, signature = token.split(b".")
    forged = base64.urlsafe_b64encode(json.dumps(original, indent=1).encode()).rstrip(b"=")
    tampered = b".".join([header, forged, signature])
    assert_rejected(tampered, received(original, tampered), "jws_signature")


@pytest.mark.parametrize("value", ["MIIB", ["not base64 !"], ["AAAA"], []])
def test_malformed_x5c_is_rejected(value: Any) -> None:
    original = signed_statement()
    token = sign(original, headers={"x5c": value})
    assert_rejected(token, received(original, token), "jws_x5c")


def test_x5c_certificate_without_rsa_key_is_rejected() -> None:
    ec_cert = certificate("EC signer", ec.generate_private_key(ec.SECP256R1()))
    original = signed_statement()
    token = sign(original, headers={"x5c": x5c(ec_cert)})
    assert_rejected(token, received(original, token), "jws_x5c")
