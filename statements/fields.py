"""marshmallow fields for the xAPI data types (Data section 4 and the property tables).

Every field is strict: it checks the JSON type first (a number is never a string, a boolean is
never a number) and returns the value unchanged, so that a validated statement can be stored
exactly as received. Error messages carry a machine rule name in a ``"[rule] text"`` prefix
(:func:`tag` / :func:`untag`); :mod:`statements.validate` turns them into ``FieldError`` items.

Library choices, checked against the spec and the ADL conformance suite:

* IRIs use :mod:`rfc3987` (``IRI`` rule: a scheme is required, ``ab=c://x`` and spaces are
  refused); ``openid`` uses its ``URI`` rule.
* Language tags use an RFC 5646 well-formedness regex *and* :func:`langcodes.tag_is_valid`
  (registry check). langcodes alone accepts ``en_US``, which RFC 5646 does not.
* UUIDs: the 8-4-4-4-12 hex form in either case; version/variant nibbles are not restricted
  (see :func:`is_uuid`).
* Timestamps and durations use regexes: :mod:`isodate` accepts the alternative duration format
  (``P0003-06-04T12:30:05``, forbidden by the spec), ``P4W1D`` and the offsets ``-00``,
  ``-0000`` and ``-00:00`` that the conformance suite rejects. isodate only parses a timestamp
  after the regex has accepted its shape (it then checks the calendar ranges).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from typing import Any

import isodate
import langcodes
import rfc3987
from marshmallow import ValidationError, fields
from marshmallow.types import ErrorMessages

_TAG_RE = re.compile(r"^\[([a-z_0-9]+)\] (.*)$", re.DOTALL)

#: The xAPI version whose rules apply to the value being loaded ("1.0.3" or "2.0.0").
XAPI_VERSION: ContextVar[str] = ContextVar("xapi_version", default="2.0.0")


def tag(rule: str, message: str) -> str:
    """Prefix ``message`` with its machine rule name: ``"[rule] message"``."""
    return f"[{rule}] {message}"


def untag(text: str) -> tuple[str, str]:
    """Split a tagged message into ``(rule, message)``; untagged text gets rule ``invalid``."""
    match = _TAG_RE.match(text)
    if match is None:
        return "invalid", text
    return match.group(1), match.group(2)


@contextmanager
def using_version(version: str) -> Iterator[None]:
    """Apply the rules of xAPI ``version`` ("1.0.3" or "2.0.0") to loads inside the block."""
    token = XAPI_VERSION.set(version)
    try:
        yield
    finally:
        XAPI_VERSION.reset(token)


def is_v2() -> bool:
    """True when the active rules are those of xAPI 2.0."""
    return XAPI_VERSION.get().startswith("2.")


# --- pure format checks (shared with rules, compare and the query-parameter loaders) ---------

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2_RE = re.compile(r"^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$")
_MBOX_RE = re.compile(r"^mailto:[^\s@:/?#]+@[^\s@.:/?#]+(?:\.[^\s@.:/?#]+)*$")
_MEDIA_TYPE_RE = re.compile(r"^[\w!#$&^.+-]+/[\w!#$&^.+-]+(?:\s*;.*)?$")
_VERSION_RE = {"1": re.compile(r"^1\.0(?:\.\d+)?$"), "2": re.compile(r"^(?:1|2)\.0(?:\.\d+)?$")}
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION_RE = re.compile(
    rf"^P(?:(?!$)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?|{_NUM}W)$"
)
# RFC 3339 (xAPI 2.0): full date, full time with seconds, mandatory offset with a colon.
_RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
)
# ISO 8601 (xAPI 1.0.3): extended or basic format (not mixed), seconds and offset optional.
_ISO8601_RE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?"
    r"|\d{8}[Tt]\d{4}(?:\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{4})?)$"
)
# RFC 5646 well-formedness (langtag | privateuse | grandfathered irregular/regular forms).
_LANGTAG_RE = re.compile(
    r"^(?:(?:[a-zA-Z]{2,3}(?:-[a-zA-Z]{3}){0,3}|[a-zA-Z]{4,8})(?:-[a-zA-Z]{4})?"
    r"(?:-(?:[a-zA-Z]{2}|\d{3}))?(?:-(?:[a-zA-Z0-9]{5,8}|\d[a-zA-Z0-9]{3}))*"
    r"(?:-[0-9a-wyzA-WYZ](?:-[a-zA-Z0-9]{2,8})+)*(?:-[xX](?:-[a-zA-Z0-9]{1,8})+)?"
    r"|[xX](?:-[a-zA-Z0-9]{1,8})+|[iI]-[a-zA-Z]{2,8}|[a-zA-Z]{2,3}-[a-zA-Z]{2,8}(?:-[a-zA-Z]{2,8})?)$"
)


def is_iri(value: str) -> bool:
    """RFC 3987 absolute IRI (a scheme is required)."""
    return rfc3987.match(value, rule="IRI") is not None


def is_irl(value: str) -> bool:
    """An IRI that can be located: an absolute IRI with something after the scheme."""
    return is_iri(value) and value.split(":", 1)[1].strip("/") != ""


def is_uri(value: str) -> bool:
    """RFC 3986 absolute URI."""
    return rfc3987.match(value, rule="URI") is not None


def is_uuid(value: str) -> bool:
    """RFC 4122 UUID in its standard string form: 8-4-4-4-12 hex digits of either case.

    The version and variant nibbles are not restricted: RFC 4122 section 4.1.1 defines every
    variant value (NCS, RFC 4122, Microsoft, future) and section 4.1.7 the nil UUID, the spec
    only recommends version 4, and the conformance suite tests the form (length, hex digits).
    """
    return _UUID_RE.match(value) is not None


def is_mbox(value: str) -> bool:
    """A ``mailto:`` IRI holding one e-mail address."""
    return _MBOX_RE.match(value) is not None


@lru_cache(maxsize=4096)
def is_language_tag(value: str) -> bool:
    """RFC 5646 tag: well-formed and made of registered subtags."""
    return _LANGTAG_RE.match(value) is not None and bool(langcodes.tag_is_valid(value))


def is_duration(value: str) -> bool:
    """ISO 8601:2004 section 4.4.3.2 duration (``PnYnMnDTnHnMnS`` or ``PnW``)."""
    return _DURATION_RE.match(value) is not None


def is_version(value: str, request_version: str) -> bool:
    """A statement ``version`` acceptable under ``request_version`` (1.0.x; 2.0 adds 2.0.x)."""
    return _VERSION_RE["2" if request_version.startswith("2.") else "1"].match(value) is not None


def parse_timestamp(value: str, *, rfc3339: bool = False) -> datetime | None:
    """Parse an xAPI timestamp, or return None when it does not follow the format.

    ``rfc3339=True`` applies the xAPI 2.0 rule (RFC 3339, offset required); otherwise ISO 8601
    extended or basic format with an optional offset (xAPI 1.0.3). The "unknown local offset"
    ``-00:00`` (and ``-0000``) is refused in both, as the conformance suite expects.
    """
    pattern = _RFC3339_RE if rfc3339 else _ISO8601_RE
    if pattern.match(value) is None or value.endswith(("-00:00", "-0000")):
        return None
    try:
        parsed = isodate.parse_datetime(value.replace("t", "T").replace("z", "Z"))
    except (ValueError, isodate.ISO8601Error):
        return None
    return parsed if isinstance(parsed, datetime) else None


# --- marshmallow fields ----------------------------------------------------------------------

BASE_MESSAGES: ErrorMessages = {
    "required": tag("required", "Missing required property."),
    "null": tag("null", "Null is not allowed here."),
    "validator_failed": tag("invalid", "Invalid value."),
}


class XField(fields.Field[Any]):
    """Base of the xAPI fields: tagged messages, a JSON type check, the value kept as is."""

    default_error_messages = BASE_MESSAGES
    json_type: type | tuple[type, ...] = str
    type_name = "a string"

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        wrong_type = not isinstance(value, self.json_type)
        if isinstance(value, bool) and self.json_type is not bool:
            wrong_type = True  # JSON booleans are never numbers
        if wrong_type:
            raise ValidationError(tag("type", f"Expected {self.type_name}."))
        self.check(value)
        return value

    def check(self, value: Any) -> None:
        """Raise ``ValidationError`` when ``value`` (already of the right JSON type) is invalid."""

    @staticmethod
    def fail(rule: str, message: str) -> None:
        """Raise a tagged ``ValidationError``."""
        raise ValidationError(tag(rule, message))


class String(XField):
    """Any JSON string."""


class Boolean(XField):
    """A JSON boolean (never the strings "true"/"false")."""

    json_type = bool
    type_name = "a boolean"


class Number(XField):
    """A finite JSON number (not a boolean, not a numeric string)."""

    json_type = (int, float)
    type_name = "a number"

    def check(self, value: Any) -> None:
        """Refuse NaN and infinities (not JSON)."""
        if value != value or value in (float("inf"), float("-inf")):
            self.fail("type", "Expected a finite number.")


class Integer(XField):
    """A non-negative JSON integer (attachment length)."""

    json_type = int
    type_name = "an integer"

    def check(self, value: Any) -> None:
        """Refuse negative values."""
        if value < 0:
            self.fail("range", "Must not be negative.")


class Constant(XField):
    """A string restricted to enumerated values, compared case-sensitively."""

    def __init__(self, *choices: str, rule: str = "enum", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self.rule = rule

    def check(self, value: Any) -> None:
        """Exact match against the choices."""
        if value not in self.choices:
            self.fail(self.rule, f"Must be one of {', '.join(self.choices)}.")


class IRI(XField):
    """An absolute IRI (RFC 3987)."""

    def check(self, value: Any) -> None:
        """Refuse strings that are not absolute IRIs."""
        if not is_iri(value):
            self.fail("iri", f"{value!r} is not a valid IRI.")


class IRL(XField):
    """An IRI that resolves to a resource (``homePage``, ``moreInfo``, ``fileUrl``)."""

    def check(self, value: Any) -> None:
        """Refuse strings that are not absolute, locatable IRIs."""
        if not is_irl(value):
            self.fail("irl", f"{value!r} is not a valid IRL.")


class URI(XField):
    """An absolute URI (RFC 3986), used by ``openid``."""

    def check(self, value: Any) -> None:
        """Refuse strings that are not absolute URIs."""
        if not is_uri(value):
            self.fail("uri", f"{value!r} is not a valid URI.")


class LanguageTag(XField):
    """An RFC 5646 language tag."""

    def check(self, value: Any) -> None:
        """Refuse malformed or unregistered tags."""
        if not is_language_tag(value):
            self.fail("language_tag", f"{value!r} is not a valid RFC 5646 language tag.")


class LanguageMap(XField):
    """An object mapping RFC 5646 language tags to strings."""

    json_type = dict
    type_name = "a language map object"

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(tag("type", "Expected a language map object."))
        errors: dict[str, list[str]] = {}
        for key, text in value.items():
            if not is_language_tag(key):
                errors[key] = [tag("language_tag", f"{key!r} is not a valid language tag.")]
            elif not isinstance(text, str):
                errors[key] = [tag("type", "Language map values must be strings.")]
        if errors:
            raise ValidationError(errors)
        return value


class Mbox(XField):
    """A ``mailto:`` IRI with a valid e-mail address."""

    def check(self, value: Any) -> None:
        """Refuse values that are not ``mailto:address``."""
        if not is_mbox(value):
            self.fail("mbox_format", f"{value!r} is not a mailto IRI with an e-mail address.")


class Sha1(XField):
    """A SHA-1 digest as 40 hex digits (``mbox_sha1sum``)."""

    def check(self, value: Any) -> None:
        """Refuse anything but 40 hex digits."""
        if _SHA1_RE.match(value) is None:
            self.fail("sha1", "Expected a SHA-1 hex digest (40 hex digits).")


class Sha2(XField):
    """A SHA-2 digest in hex (SHA-224, -256, -384 or -512)."""

    def check(self, value: Any) -> None:
        """Refuse anything but a SHA-2 hex digest."""
        if _SHA2_RE.match(value) is None:
            self.fail("sha2", "Expected a SHA-2 hex digest.")


class MediaType(XField):
    """An Internet Media Type such as ``text/plain; charset=ascii``."""

    def check(self, value: Any) -> None:
        """Refuse strings that are not ``type/subtype[; params]``."""
        if _MEDIA_TYPE_RE.match(value) is None:
            self.fail("content_type", f"{value!r} is not an Internet Media Type.")


class Duration(XField):
    """An ISO 8601:2004 section 4.4.3.2 duration; the alternative format is refused."""

    def check(self, value: Any) -> None:
        """Refuse anything but ``PnYnMnDTnHnMnS`` / ``PnW``."""
        if not is_duration(value):
            self.fail("duration", f"{value!r} is not an ISO 8601 duration.")


class Timestamp(XField):
    """An ISO 8601 timestamp (1.0.3); RFC 3339 with a mandatory offset under 2.0."""

    def check(self, value: Any) -> None:
        """Refuse malformed timestamps under the active version's rules."""
        if parse_timestamp(value, rfc3339=is_v2()) is None:
            kind = "an RFC 3339 timestamp with an offset" if is_v2() else "an ISO 8601 timestamp"
            self.fail("timestamp", f"{value!r} is not {kind}.")


class UUID(XField):
    """An RFC 4122 UUID in standard string form (hex digits of either case)."""

    def check(self, value: Any) -> None:
        """Refuse anything but the 8-4-4-4-12 hex form."""
        if not is_uuid(value):
            self.fail("uuid", f"{value!r} is not a valid UUID.")


class Version(XField):
    """A statement ``version``: ``1.0``/``1.0.x``, and ``2.0``/``2.0.x`` under xAPI 2.0."""

    def check(self, value: Any) -> None:
        """Refuse versions the active rules do not accept."""
        if not is_version(value, XAPI_VERSION.get()):
            allowed = "1.0.x or 2.0.x" if is_v2() else "1.0.x"
            self.fail("version", f"Statement version must be {allowed}.")


class Extensions(XField):
    """An object whose keys are IRIs; values are any JSON, including null."""

    json_type = dict
    type_name = "an object"

    def check(self, value: Any) -> None:
        """Refuse keys that are not IRIs."""
        errors = {key: [tag("iri", f"{key!r} is not an IRI.")] for key in value if not is_iri(key)}
        if errors:
            raise ValidationError(errors)
