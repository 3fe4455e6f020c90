"""multipart/mixed statement bodies: parsing, hash checks, part ↔ attachment matching, building."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from lrs.multipart import build_multipart, check_parts, parse_multipart
from statements.errors import BadRequest
from statements.store.base import Attachment
from tests.factories import make_activity, make_statement
from tests.statements.test_signature import received, sign, signed_statement

BOUNDARY = "-------314159265358979323846"
CTYPE = f"multipart/mixed; boundary={BOUNDARY}"
TEXT = b"here is a simple attachment"
TEXT_SHA = hashlib.sha256(TEXT).hexdigest()
# Bytes that trip naive parsers: CRLFs, a lone CR at the end, NULs, a dash run, high bytes.
BINARY = b"\r\n--\x00\xff\xfe\r\n-------3141\n\r\n\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\r"
BINARY_SHA = hashlib.sha256(BINARY).hexdigest()


def part(content: bytes, *headers: str) -> bytes:
    return "".join(f"{h}\r\n" for h in headers).encode() + b"\r\n" + content


def attachment_part(content: bytes, *extra: str, sha2: str | None = None) -> bytes:
    return part(
        content,
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: binary",
        f"X-Experience-API-Hash: {sha2 or hashlib.sha256(content).hexdigest()}",
        *extra,
    )


def json_part(payload: Any, content_type: str = "application/json") -> bytes:
    return part(json.dumps(payload).encode(), f"Content-Type: {content_type}")


def multipart(*parts: bytes, boundary: str = BOUNDARY, preamble: bytes = b"") -> bytes:
    delimiter = b"--" + boundary.encode()
    body = preamble + b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts)
    return body + delimiter + b"--\r\n"


def statement_with(*attachments: dict[str, Any]) -> dict[str, Any]:
    return make_statement(attachments=list(attachments))


def meta(sha2: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": 27,
        "sha2": sha2,
    }
    return {**base, **overrides}


def rejected(raw: bytes, content_type: str = CTYPE) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse_multipart(raw, content_type)
    assert caught.value.status == 400
    assert caught.value.errors
    return caught.value


# --- parse_multipart ---------------------------------------------------------------------


def test_parses_statement_and_attachment() -> None:
    stmt = statement_with(meta(TEXT_SHA))
    payload, parts = parse_multipart(multipart(json_part(stmt), attachment_part(TEXT)), CTYPE)
    assert payload == stmt
    assert parts == [Attachment(sha2=TEXT_SHA, content_type="text/plain", content=TEXT)]


def test_binary_content_survives_byte_for_byte() -> None:
    raw = multipart(json_part([]), attachment_part(BINARY))
    _, [got] = parse_multipart(raw, CTYPE)
    assert got.content == BINARY
    assert got.sha2 == BINARY_SHA


def test_conformance_suite_framing_is_accepted() -> None:
    # Leading CRLF preamble, no space after the header colon, no CRLF after the close delimiter.
    sig = b"header.payload.signature"
    raw = (
        b"\r\n--" + BOUNDARY.encode() + b"\r\nContent-Type:application/json\r\n\r\n{}"
        b"\r\n--" + BOUNDARY.encode() + b"\r\nContent-Type:application/octet-stream\r\n"
        b"Content-Transfer-Encoding:binary\r\n"
        b"X-Experience-API-Hash:"
        + hashlib.sha256(sig).hexdigest().encode()
        + b"\r\n\r\n"
        + sig
        + b"\r\n--"
        + BOUNDARY.encode()
        + b"--"
    )
    payload, [got] = parse_multipart(raw, CTYPE)
    assert payload == {}
    assert got.content == sig
    assert got.content_type == "application/octet-stream"


def test_spec_example_boundary_with_special_characters() -> None:
    boundary = "abcABC0123'()+_,-./:=?"
    raw = multipart(json_part({}), attachment_part(TEXT), boundary=boundary)
    _, [got] = parse_multipart(raw, f'multipart/mixed; boundary="{boundary}"')
    assert got.content == TEXT


def test_statements_only_body_has_no_parts() -> None:
    assert parse_multipart(multipart(json_part([1])), CTYPE) == ([1], [])


def test_json_part_may_declare_a_charset() -> None:
    raw = multipart(json_part({}, "application/json; charset=utf-8"))
    assert parse_multipart(raw, CTYPE) == ({}, [])


@pytest.mark.parametrize("algorithm", ["sha224", "sha384", "sha512"])
def test_other_sha2_lengths_are_verified(algorithm: str) -> None:
    digest = hashlib.new(algorithm, TEXT).hexdigest()
    _, [got] = parse_multipart(multipart(json_part({}), attachment_part(TEXT, sha2=digest)), CTYPE)
    assert got.sha2 == digest
    wrong = hashlib.new(algorithm, TEXT + b"!").hexdigest()
    rejected(multipart(json_part({}), attachment_part(TEXT, sha2=wrong)))


def test_hash_header_is_normalised_to_lower_case() -> None:
    raw = multipart(json_part({}), attachment_part(TEXT, sha2=TEXT_SHA.upper()))
    assert parse_multipart(raw, CTYPE)[1][0].sha2 == TEXT_SHA


def test_repeated_parts_are_kept_once() -> None:
    raw = multipart(json_part({}), attachment_part(TEXT), attachment_part(TEXT))
    assert len(parse_multipart(raw, CTYPE)[1]) == 1


def test_missing_transfer_encoding_is_read_as_binary() -> None:
    raw = multipart(json_part({}), part(TEXT, f"X-Experience-API-Hash: {TEXT_SHA}"))
    [got] = parse_multipart(raw, CTYPE)[1]
    assert got.content == TEXT
    assert got.content_type == "application/octet-stream"


def test_hash_mismatch_is_rejected() -> None:
    other = hashlib.sha256(b"something else").hexdigest()
    error = rejected(multipart(json_part({}), attachment_part(TEXT, sha2=other)))
    assert error.errors[0].path == "part[1]"
    assert error.errors[0].rule == "hash"


@pytest.mark.parametrize(
    "bad_part",
    [
        part(TEXT, "Content-Type: text/plain", "Content-Transfer-Encoding: binary"),
        attachment_part(TEXT, f"X-Experience-API-Hash: {TEXT_SHA}"),
        attachment_part(TEXT, sha2="not-a-hash"),
        attachment_part(TEXT, sha2=TEXT_SHA[:-1]),
    ],
    ids=["missing", "repeated", "not-hex", "wrong-length"],
)
def test_bad_hash_header_is_rejected(bad_part: bytes) -> None:
    assert rejected(multipart(json_part({}), bad_part)).errors[0].rule == "hash"


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable", "8bit"])
def test_non_binary_transfer_encoding_is_rejected(encoding: str) -> None:
    bad = part(
        TEXT,
        f"Content-Transfer-Encoding: {encoding}",
        f"X-Experience-API-Hash: {TEXT_SHA}",
    )
    assert rejected(multipart(json_part({}), bad)).errors[0].rule == "content_transfer_encoding"


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", None])
def test_first_part_must_be_json(content_type: str | None) -> None:
    first = json_part({}, content_type) if content_type else part(b"{}")
    error = rejected(multipart(first, attachment_part(TEXT)))
    assert error.errors[0].path == "part[0]"
    assert error.errors[0].rule == "content_type"


def test_first_part_must_hold_valid_json() -> None:
    error = rejected(multipart(part(b"{'not': json}", "Content-Type: application/json")))
    assert error.errors[0].rule == "json"


def test_statement_and_attachment_in_one_part_is_rejected() -> None:
    # The conformance suite's "missing boundary between parts": the JSON runs into headers.
    merged = json_part({}) + b"\r\n" + attachment_part(TEXT)
    rejected(multipart(merged))


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/mixed;",
        "multipart/mixed; boundary=",
        "multipart/form-data; boundary=" + BOUNDARY,
        "multipart/mixed; boundary=" + "x" * 71,
    ],
)
def test_bad_request_content_type_is_rejected(content_type: str) -> None:
    error = rejected(multipart(json_part({})), content_type)
    assert error.errors[0].path == "Content-Type"


def test_body_without_start_boundary_is_rejected() -> None:
    raw = json_part({}) + b"\r\n--" + BOUNDARY.encode() + b"--\r\n"
    rejected(raw)


def test_body_without_close_boundary_is_rejected() -> None:
    raw = b"--" + BOUNDARY.encode() + b"\r\n" + json_part({}) + b"\r\n"
    rejected(raw)


def test_empty_body_is_rejected() -> None:
    rejected(b"")
    rejected(b"--" + BOUNDARY.encode() + b"--\r\n")


def test_part_without_header_separator_is_rejected() -> None:
    raw = b"--" + BOUNDARY.encode() + b"\r\nContent-Type: application/json\r\n{}\r\n"
    rejected(raw + b"--" + BOUNDARY.encode() + b"--\r\n")


def test_nested_multipart_part_is_rejected() -> None:
    inner = multipart(attachment_part(TEXT), boundary="inner")
    nested = part(inner, "Content-Type: multipart/mixed; boundary=inner")
    rejected(multipart(json_part({}), nested))


# --- build_multipart ---------------------------------------------------------------------


def test_build_then_parse_round_trips() -> None:
    document = {"statements": [statement_with(meta(BINARY_SHA))], "more": ""}
    body = json.dumps(document).encode()
    attachments = [
        Attachment(sha2=BINARY_SHA, content_type="image/png", content=BINARY),
        Attachment(sha2=TEXT_SHA, content_type="text/plain; charset=ascii", content=TEXT),
    ]
    raw, content_type = build_multipart(body, attachments)
    assert content_type.startswith("multipart/mixed; boundary=")
    payload, parts = parse_multipart(raw, content_type)
    assert payload == document
    assert parts == attachments


def test_build_writes_the_transmission_format() -> None:
    raw, content_type = build_multipart(b"{}", [Attachment(TEXT_SHA, "text/plain", TEXT)])
    delimiter = b"--" + content_type.split("boundary=", 1)[1].encode()
    assert raw.startswith(delimiter + b"\r\nContent-Type: application/json")
    assert raw.endswith(b"\r\n" + delimiter + b"--\r\n")
    assert raw.count(delimiter) == 3
    attachment_headers = raw.split(delimiter)[2]
    assert b"Content-Transfer-Encoding: binary\r\n" in attachment_headers
    assert f"X-Experience-API-Hash: {TEXT_SHA}\r\n".encode() in attachment_headers
    assert attachment_headers.endswith(b"\r\n\r\n" + TEXT + b"\r\n")


def test_build_without_attachments_is_a_single_json_part() -> None:
    raw, content_type = build_multipart(b"[]", [])
    assert parse_multipart(raw, content_type) == ([], [])


# --- check_parts ---------------------------------------------------------------------------


def att(content: bytes, content_type: str = "text/plain") -> Attachment:
    return Attachment(hashlib.sha256(content).hexdigest(), content_type, content)


def check_rejected(statements: list[dict[str, Any]], parts: list[Attachment]) -> list[Any]:
    with pytest.raises(BadRequest) as caught:
        check_parts(statements, parts)
    assert caught.value.status == 400
    return [(e.path, e.rule) for e in caught.value.errors]


def test_each_attachment_with_its_part_passes() -> None:
    check_parts([statement_with(meta(TEXT_SHA), meta(BINARY_SHA))], [att(TEXT), att(BINARY)])


def test_attachment_without_part_is_rejected() -> None:
    errors = check_rejected([statement_with(meta(TEXT_SHA), meta(BINARY_SHA))], [att(TEXT)])
    assert errors == [("$[0].attachments[1].sha2", "attachment_data")]


def test_attachment_without_part_in_json_request_is_rejected() -> None:
    assert check_rejected([statement_with(meta(TEXT_SHA))], []) == [
        ("$[0].attachments[0].sha2", "attachment_data")
    ]


def test_file_url_attachment_needs_no_part() -> None:
    check_parts([statement_with(meta(TEXT_SHA, fileUrl="http://example.com/file.txt"))], [])


def test_part_without_attachment_is_rejected() -> None:
    errors = check_rejected([statement_with(meta(TEXT_SHA))], [att(TEXT), att(BINARY)])
    assert errors == [(f"part[sha2={BINARY_SHA}]", "excess_part")]


def test_part_for_a_file_url_attachment_is_accepted() -> None:
    check_parts([statement_with(meta(TEXT_SHA, fileUrl="http://example.com/f"))], [att(TEXT)])


def test_parts_match_across_a_batch_and_case_insensitively() -> None:
    first = statement_with(meta(TEXT_SHA.upper()))
    second = statement_with(meta(TEXT_SHA), meta(BINARY_SHA))
    check_parts([first, second], [att(TEXT), att(BINARY)])


def test_statements_without_attachments_and_no_parts_pass() -> None:
    check_parts([make_statement(), make_statement()], [])


def test_substatement_attachments_are_matched() -> None:
    sub = {
        "objectType": "SubStatement",
        **make_statement(object=make_activity()),
        "attachments": [meta(BINARY_SHA)],
    }
    check_parts([make_statement(object=sub)], [att(BINARY)])
    assert check_rejected([make_statement(object=sub)], []) == [
        ("$[0].object.attachments[0].sha2", "attachment_data")
    ]


def test_all_mismatches_are_reported_together() -> None:
    errors = check_rejected([statement_with(meta(TEXT_SHA))], [att(BINARY)])
    assert [rule for _, rule in errors] == ["attachment_data", "excess_part"]


# --- check_parts: signatures ---------------------------------------------------------------


def signed_batch(token: bytes, statement: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [received(statement or signed_statement(), token)]


def test_valid_signature_part_passes() -> None:
    token = sign(signed_statement())
    check_parts(signed_batch(token), [att(token, "application/octet-stream")])


def test_signature_of_another_statement_is_rejected() -> None:
    token = sign(signed_statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"}))
    errors = check_rejected(signed_batch(token), [att(token)])
    assert errors == [("$[0].attachments[0]", "jws_payload")]


def test_signature_with_hmac_algorithm_is_rejected() -> None:
    token = sign(signed_statement(), algorithm="HS256")
    assert check_rejected(signed_batch(token), [att(token)]) == [("$[0].attachments[0]", "jws_alg")]


def test_malformed_signature_part_is_rejected() -> None:
    token = b"this is not a JWS"
    assert check_rejected(signed_batch(token), [att(token)]) == [("$[0].attachments[0]", "jws")]


def test_signature_attachment_must_be_octet_stream() -> None:
    token = sign(signed_statement())
    [statement] = signed_batch(token)
    statement["attachments"][0]["contentType"] = "text/plain; charset=ascii"
    assert check_rejected([statement], [att(token)]) == [
        ("$[0].attachments[0].contentType", "signature_content_type")
    ]


def test_signature_attachment_needs_its_part_even_with_file_url() -> None:
    token = sign(signed_statement())
    [statement] = signed_batch(token)
    statement["attachments"][0]["fileUrl"] = "http://example.com/signature.jws"
    assert check_rejected([statement], []) == [("$[0].attachments[0].sha2", "attachment_data")]


def test_signature_is_checked_per_statement_in_a_batch() -> None:
    good = sign(signed_statement())
    other = signed_statement(id="6b1c1f3e-7d4a-4c55-8a1e-2f0b6c7d8e9f", result={"success": True})
    other_token = sign(other)
    batch = [received(signed_statement(), good), received(other, other_token)]
    check_parts(batch, [att(good), att(other_token)])
    swapped = [received(signed_statement(), other_token), received(other, good)]
    errors = check_rejected(swapped, [att(good), att(other_token)])
    assert errors == [
        ("$[0].attachments[0]", "jws_payload"),
        ("$[1].attachments[0]", "jws_payload"),
    ]
