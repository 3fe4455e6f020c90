"""Timestamps the LRS writes and the ``since``/``until`` values it reads, as epoch microseconds."""

from __future__ import annotations

from datetime import UTC, datetime

import isodate

from statements.errors import BadRequest, FieldError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC datetime of epoch microseconds."""
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC).replace(microsecond=us % 1_000_000)


def format_us(us: int) -> str:
    """ISO 8601 UTC with millisecond precision, as the LRS writes ``stored`` and ``timestamp``."""
    moment = from_us(us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def http_date(us: int) -> str:
    """RFC 7231 date for ``Last-Modified``."""
    return from_us(us).strftime("%a, %d %b %Y %H:%M:%S GMT")


def parse_param(value: str, name: str) -> int:
    """Parse a timestamp query parameter (``since``/``until``) into epoch microseconds.

    A timestamp without an offset is read as UTC.
    """
    try:
        moment = isodate.parse_datetime(value.strip())
    except (ValueError, isodate.ISO8601Error) as exc:
        raise BadRequest(
            f"{name} is not an ISO 8601 timestamp",
            [FieldError(name, "timestamp", f"{value!r} is not an ISO 8601 timestamp")],
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_us(moment)
