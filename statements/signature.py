"""Signed Statements (xAPI Data 2.6): check a JWS signature attachment against its statement.

A signature is an attachment with usageType :data:`SIGNATURE_USAGE_TYPE` and contentType
``application/octet-stream`` whose raw data is a JWS (RFC 7515) in Compact Serialization. Its
payload is the JSON serialisation of the statement as it was *before* the signature attachment
was added. The LRS must reject (400) a malformed signature, which here means any of:

* not a JWS Compact Serialization (three base64url segments, JSON object header; the JWS JSON
  Serialization, which the spec strongly discourages, is refused);
* a header ``alg`` other than ``RS256``, ``RS384`` or ``RS512``;
* a payload that is not a JSON object;
* a payload that is not the same statement as the one received, compared with
  :func:`statements.compare.equivalent` (Data 2.3.1 comparison requirements) after dropping
  ``attachments`` from both sides: attachments are not part of the statement and the payload
  predates the signature attachment. ``equivalent`` already ignores what the LRS assigns
  (``stored``, ``authority``, ``version``; ``id`` and ``timestamp`` when only one side has them);
* an ``x5c`` header whose chain does not parse, whose certificates are not each issued by the
  next one, whose first certificate holds no RSA key, or whose key does not verify the signature.

Without ``x5c`` the signature bytes cannot be checked (the spec asks for no key discovery): the
LRS checks form, algorithm and payload only. Certificate validity dates and trust anchors are not
checked: the spec says the x5c check catches mistakes and is not a security measure.

Pure and sans-I/O: PyJWT parses the compact form, ``cryptography`` verifies RSA signatures.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from statements.compare import equivalent
from statements.errors import BadRequest, FieldError

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


@dataclass(frozen=True)
class SignedStatement:
    """A decoded, well-formed JWS signature.

    ``statement`` is the signed payload; ``certificate`` is the leaf of the ``x5c`` chain when
    the header carried one (the signature was then verified with its key), else None.
    """

    header: dict[str, Any]
    statement: dict[str, Any]
    certificate: x509.Certificate | None


def _bad(path: str, rule: str, message: str) -> BadRequest:
    return BadRequest(
        f"malformed statement signature: {message}", [FieldError(path, rule, message)]
    )


def read_jws(token: bytes, path: str = "$") -> SignedStatement:
    """Decode a JWS Compact Serialization and check its algorithm, payload and ``x5c`` chain.

    ``path`` locates the signature attachment in error items. Raises :class:`BadRequest`.
    """
    try:
        text = token.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise _bad(path, "jws", "a JWS compact serialization is ASCII") from exc
    if text.startswith("{"):
        raise _bad(path, "jws", "use the JWS Compact Serialization, not the JSON one")
    try:
        decoded = jwt.PyJWS().decode_complete(text, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _bad(path, "jws", f"not a JWS compact serialization ({exc})") from exc
    header: dict[str, Any] = decoded["header"]
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise _bad(path, "jws_alg", f"alg must be one of {', '.join(ALGORITHMS)}, not {alg!r}")
    statement = _payload(decoded["payload"], path)
    certificate = None
    if "x5c" in header:
        chain = _chain(header["x5c"], path)
        _verify(chain[0], alg, text.rsplit(".", 1)[0].encode("ascii"), decoded["signature"], path)
        certificate = chain[0]
    return SignedStatement(header=header, statement=statement, certificate=certificate)


def _payload(raw: bytes, path: str) -> dict[str, Any]:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _bad(path, "jws_payload", "the JWS payload is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise _bad(path, "jws_payload", "the JWS payload must be a statement (a JSON object)")
    return payload


def _chain(value: Any, path: str) -> list[x509.Certificate]:
    """The ``x5c`` certificates, each checked to be issued by the next one (RFC 7515 4.1.6)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _bad(path, "jws_x5c", "x5c must be a non-empty array of base64 DER certificates")
    try:
        chain = [x509.load_der_x509_certificate(base64.b64decode(v, validate=True)) for v in value]
    except (binascii.Error, ValueError) as exc:
        raise _bad(path, "jws_x5c", "x5c holds a certificate that does not parse") from exc
    for child, issuer in pairwise(chain):
        try:
            child.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise _bad(path, "jws_x5c", "each x5c certificate must be issued by the next") from exc
    return chain


def _verify(cert: x509.Certificate, alg: str, signing_input: bytes, sig: bytes, path: str) -> None:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise _bad(path, "jws_x5c", f"the x5c certificate holds no RSA key for {alg}")
    try:
        key.verify(sig, signing_input, padding.PKCS1v15(), ALGORITHMS[alg]())
    except InvalidSignature as exc:
        raise _bad(path, "jws_signature", "the signature does not verify with the x5c key") from exc


def same_statement(signed: Mapping[str, Any], received: Mapping[str, Any]) -> bool:
    """True when the signed payload and the received statement are the same statement.

    Both lose ``attachments`` first (not part of a statement; the payload predates the
    signature attachment); the rest is :func:`statements.compare.equivalent`.
    """
    return equivalent(_without_attachments(signed), _without_attachments(received))


def _without_attachments(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "attachments"}


def check_signature(token: bytes, statement: Mapping[str, Any], path: str = "$") -> SignedStatement:
    """Check a signature attachment's bytes against the statement it is attached to.

    Raises :class:`BadRequest` when the JWS is malformed or signs another statement.
    """
    signed = read_jws(token, path)
    if not same_statement(signed.statement, statement):
        raise _bad(path, "jws_payload", "the signed statement differs from the statement")
    return signed
