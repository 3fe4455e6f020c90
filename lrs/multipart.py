"""multipart/mixed statement bodies (xAPI Communication 1.5.2) and attachment checks.

Reading uses the standard library's MIME parser (:mod:`email` with the HTTP policy): werkzeug's
multipart decoder is built for ``multipart/form-data`` and requires ``Content-Disposition``,
which multipart/mixed parts do not carry. The parser is lenient, so every defect it records
(no start or close boundary, a part without a header/body separator, …) is a 400 here.

Rules enforced when reading (each a 400):

* the request Content-Type is ``multipart/mixed`` with a valid RFC 2046 ``boundary``;
* the first part is ``application/json`` and holds the statements (it is parsed as JSON);
* every further part has exactly one ``X-Experience-API-Hash``: a SHA-2 hex digest (224, 256,
  384 or 512, chosen by its length) that equals the digest of the part's bytes;
* every further part's ``Content-Transfer-Encoding``, when present, is ``binary`` (when absent,
  binary is assumed, as Communication 1.5.2 advises); no part is itself multipart.

:func:`check_parts` then matches parts to the statements' attachment metadata by hash and checks
signatures (:mod:`statements.signature`); :func:`build_multipart` writes the GET response with
``attachments=true``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from werkzeug.http import parse_options_header

from statements import safejson
from statements.errors import BadRequest, ErrorCollector, FieldError
from statements.signature import SIGNATURE_CONTENT_TYPE, SIGNATURE_USAGE_TYPE, check_signature
from statements.store.base import Attachment

HASH_HEADER = "X-Experience-API-Hash"
JSON_TYPE = "application/json"
DEFAULT_PART_TYPE = "application/octet-stream"
_DIGESTS = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# RFC 2046 5.1.1: 1-70 bchars, the last one not a space.
_BOUNDARY = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_IDENTITY_ENCODINGS = ("7bit", "8bit", "binary")


def _bad(path: str, rule: str, message: str) -> BadRequest:
    return BadRequest(
        f"malformed multipart/mixed body: {message}", [FieldError(path, rule, message)]
    )


def parse_multipart(
    raw: bytes,
    content_type_header: str,
    max_parts: int = 100,
    max_depth: int = safejson.DEFAULT_MAX_DEPTH,
) -> tuple[Any, list[Attachment]]:
    """The JSON statement payload (first part) and the attachment parts of a multipart body.

    More than ``max_parts`` parts (counted by their delimiters before any parsing) is a 400
    ``max_multipart_parts``; the statements part is parsed with :func:`statements.safejson.loads`.
    Each attachment's ``sha2`` is its ``X-Experience-API-Hash`` in lower case, verified against
    the part's bytes; its ``content_type`` is the part's Content-Type (``application/
    octet-stream`` when the part declares none). Parts repeating a hash are kept once.
    """
    boundary = _boundary(content_type_header)
    delimiters = raw.count(b"--" + boundary.encode("ascii")) - 1  # the close delimiter too
    if delimiters > max_parts:
        raise BadRequest(
            f"more than {max_parts} multipart parts (LRS_MAX_MULTIPART_PARTS)",
            [FieldError("$", "max_multipart_parts", f"at most {max_parts} parts")],
        )
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if message.defects:
        names = ", ".join(type(d).__name__ for d in message.defects)
        raise _bad("$", "multipart", f"the body is not valid multipart/mixed ({names})")
    payload_parts = message.get_payload()
    parts = [p for p in payload_parts if isinstance(p, Message)] if message.is_multipart() else []
    if not parts:
        raise _bad("$", "multipart", "the body holds no parts")
    payload = _statements_part(parts[0], max_depth)
    attachments: dict[str, Attachment] = {}
    for index, part in enumerate(parts[1:], start=1):
        attachment = _attachment_part(part, index)
        attachments.setdefault(attachment.sha2, attachment)
    return payload, list(attachments.values())


def _boundary(content_type_header: str) -> str:
    mimetype, options = parse_options_header(content_type_header)
    if mimetype.lower() != "multipart/mixed":
        raise _bad("Content-Type", "content_type", "the Content-Type must be multipart/mixed")
    boundary = options.get("boundary")
    if not boundary:
        raise _bad("Content-Type", "boundary", "multipart/mixed needs a boundary parameter")
    if _BOUNDARY.match(boundary) is None:
        raise _bad("Content-Type", "boundary", "the boundary is not valid per RFC 2046")
    return boundary


def _check_part(part: Message, path: str) -> None:
    if part.defects:
        names = ", ".join(type(d).__name__ for d in part.defects)
        raise _bad(path, "multipart", f"the part is malformed ({names})")
    if part.is_multipart():
        raise _bad(path, "multipart", "a part must not itself be multipart")


def _statements_part(part: Message, max_depth: int) -> Any:
    path = "part[0]"
    _check_part(part, path)
    if part.get("Content-Type") is None or part.get_content_type() != JSON_TYPE:
        raise _bad(path, "content_type", "the first part must have Content-Type application/json")
    encoding = str(part.get("Content-Transfer-Encoding", "binary")).strip().lower()
    if encoding not in _IDENTITY_ENCODINGS:
        raise _bad(path, "content_transfer_encoding", f"{encoding!r} is not allowed here")
    return safejson.loads(_body(part), max_depth, path)


def _attachment_part(part: Message, index: int) -> Attachment:
    path = f"part[{index}]"
    _check_part(part, path)
    encoding = str(part.get("Content-Transfer-Encoding", "binary")).strip().lower()
    if encoding != "binary":
        raise _bad(path, "content_transfer_encoding", "Content-Transfer-Encoding must be binary")
    declared = _raw_headers(part, HASH_HEADER)
    if len(declared) != 1:
        raise _bad(path, "hash", f"each attachment part needs exactly one {HASH_HEADER} header")
    sha2 = str(declared[0]).strip().lower()
    algorithm = _DIGESTS.get(len(sha2))
    if algorithm is None or _HEX.match(sha2) is None:
        raise _bad(path, "hash", f"{HASH_HEADER} must be a SHA-2 hex digest")
    content = _body(part)
    if hashlib.new(algorithm, content).hexdigest() != sha2:
        raise _bad(path, "hash", f"{HASH_HEADER} does not match the {algorithm} of the part")
    declared_types = _raw_headers(part, "Content-Type")
    content_type = (declared_types[0] if declared_types else "") or DEFAULT_PART_TYPE
    return Attachment(sha2=sha2, content_type=content_type, content=content)


def _raw_headers(part: Message, name: str) -> list[str]:
    """The values of header ``name`` as sent (unfolded, stripped), not re-serialised."""
    return [
        _FOLD.sub("", str(value)).strip()
        for key, value in part.raw_items()
        if key.lower() == name.lower()
    ]


def _body(part: Message) -> bytes:
    """The part's raw bytes (identity transfer encodings only, checked by the callers)."""
    body = part.get_payload(decode=True)
    return body if isinstance(body, bytes) else b""


def check_parts(statements: Sequence[Mapping[str, Any]], parts: Sequence[Attachment]) -> None:
    """Match attachment metadata to parts by hash and verify signature attachments.

    * every attachment without ``fileUrl`` needs a part with its ``sha2``;
    * every part must be the data of some attachment (top level or SubStatement object);
    * a signature attachment (usageType ``…/attachments/signature``) on a statement must have
      contentType ``application/octet-stream`` and a part (even with a ``fileUrl``), and that
      part must be a JWS signing this statement (:func:`statements.signature.check_signature`).

    All broken rules are reported together in one :class:`BadRequest`.
    """
    if not parts and not any(_may_attach(statement) for statement in statements):
        return  # the usual batch: nothing to match
    by_hash = {part.sha2.lower(): part for part in parts}
    errors = ErrorCollector()
    referenced: set[str] = set()
    for index, statement in enumerate(statements):
        for path, attachment, top in _attachments(statement, f"$[{index}]"):
            sha2 = str(attachment.get("sha2", "")).lower()
            referenced.add(sha2)
            part = by_hash.get(sha2)
            signature = top and attachment.get("usageType") == SIGNATURE_USAGE_TYPE
            if part is None and (signature or not attachment.get("fileUrl")):
                errors.add(f"{path}.sha2", "attachment_data", "no multipart part has this sha2")
            if signature:
                _check_signature(statement, attachment, part, path, errors)
    for part in parts:
        if part.sha2.lower() not in referenced:
            errors.add(f"part[sha2={part.sha2}]", "excess_part", "this part matches no attachment")
    if errors.errors:
        raise BadRequest("the attachments do not match the multipart parts", errors.errors)


def _may_attach(statement: Mapping[str, Any]) -> bool:
    """Whether a statement or its SubStatement object has an ``attachments`` property."""
    if "attachments" in statement:
        return True
    obj = statement.get("object")
    return isinstance(obj, Mapping) and "attachments" in obj


def _attachments(
    statement: Mapping[str, Any], path: str
) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """(path, attachment, is top level) for a statement and its SubStatement object."""
    for index, attachment in enumerate(_list(statement.get("attachments"))):
        yield f"{path}.attachments[{index}]", attachment, True
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        for index, attachment in enumerate(_list(obj.get("attachments"))):
            yield f"{path}.object.attachments[{index}]", attachment, False


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _check_signature(
    statement: Mapping[str, Any],
    attachment: Mapping[str, Any],
    part: Attachment | None,
    path: str,
    errors: ErrorCollector,
) -> None:
    content_type = str(attachment.get("contentType", "")).split(";")[0].strip().lower()
    if content_type != SIGNATURE_CONTENT_TYPE:
        errors.add(
            f"{path}.contentType",
            "signature_content_type",
            f"a signature attachment's contentType must be {SIGNATURE_CONTENT_TYPE}",
        )
        return
    if part is None:
        return
    try:
        check_signature(part.content, statement, path)
    except BadRequest as exc:
        errors.errors.extend(exc.errors)


def build_multipart(json_body: bytes, attachments: list[Attachment]) -> tuple[bytes, str]:
    """A multipart/mixed response: the JSON document first, then one binary part per attachment.

    Returns the body and its Content-Type header (``multipart/mixed; boundary=…``).
    """
    boundary = _new_boundary(json_body, attachments)
    delimiter = b"--" + boundary.encode("ascii")
    chunks = [delimiter, b"\r\nContent-Type: application/json; charset=utf-8\r\n\r\n", json_body]
    for attachment in attachments:
        content_type = attachment.content_type
        if not content_type or "\r" in content_type or "\n" in content_type:
            content_type = DEFAULT_PART_TYPE
        headers = (
            f"Content-Type: {content_type}\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"{HASH_HEADER}: {attachment.sha2}\r\n\r\n"
        )
        chunks += [b"\r\n", delimiter, b"\r\n", headers.encode("utf-8"), attachment.content]
    chunks += [b"\r\n", delimiter, b"--\r\n"]
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"


def _new_boundary(json_body: bytes, attachments: Sequence[Attachment]) -> str:
    """A random boundary that occurs in none of the parts."""
    while True:
        boundary = f"xapi-{secrets.token_hex(16)}"
        marker = boundary.encode("ascii")
        if marker not in json_body and all(marker not in a.content for a in attachments):
            return boundary
