"""Creating and describing forwarding destinations (shared by the CLI and the admin API)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from statements.errors import BadRequest, FieldError
from statements.ifi import agent_key
from statements.interop.model import Destination, Status

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
VERSIONS = ("1.0.3", "2.0.0")


def _bad(field: str, rule: str, message: str) -> BadRequest:
    return BadRequest(f"{field}: {message}", [FieldError(field, rule, message)])


def new_destination(spec: dict[str, Any], *, watermark: int, now_us: int) -> Destination:
    """A destination from a JSON-like spec, validated (400 naming the field and rule).

    Keys: ``name``, ``url`` (the xAPI endpoint), ``key``, ``secret``, optional ``version``,
    ``verb``, ``activity_prefix``, ``authority`` (an Agent object), ``batch_size``.
    """
    for required in ("name", "url", "key", "secret"):
        if not isinstance(spec.get(required), str) or not spec[required]:
            raise _bad(required, "required", "a non-empty string is required")
    unknown = set(spec) - {
        "name",
        "url",
        "key",
        "secret",
        "version",
        "verb",
        "activity_prefix",
        "authority",
        "batch_size",
    }
    if unknown:
        raise _bad(sorted(unknown)[0], "unknown_field", "not a destination field")
    if not NAME.match(spec["name"]):
        raise _bad("name", "pattern", "letters, digits, '_', '.', '-' (at most 64)")
    parts = urlsplit(spec["url"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad("url", "url", "an absolute http(s) URL of the xAPI endpoint")
    version = spec.get("version") or "1.0.3"
    if version not in VERSIONS:
        raise _bad("version", "enum", "1.0.3 or 2.0.0")
    batch = spec.get("batch_size", 100)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 1000:
        raise _bad("batch_size", "range", "a whole number from 1 to 1000")
    authority_key = None
    if spec.get("authority") is not None:
        if not isinstance(spec["authority"], dict) or agent_key(spec["authority"]) is None:
            raise _bad("authority", "agent", "an Agent object with an identifier")
        authority_key = agent_key(spec["authority"])
    for opt in ("verb", "activity_prefix"):
        if spec.get(opt) is not None and not isinstance(spec[opt], str):
            raise _bad(opt, "type", "a string")
    return Destination(
        name=spec["name"],
        url=spec["url"],
        key=spec["key"],
        secret=spec["secret"],
        version=version,
        verb=spec.get("verb"),
        activity_prefix=spec.get("activity_prefix"),
        authority_key=authority_key,
        batch_size=batch,
        created_us=now_us,
        watermark=watermark,
    )


def describe(status: Status) -> dict[str, Any]:
    """A destination's status as JSON (admin API, ``lrs forward status --json``)."""
    return {
        **status.destination.public(),
        "outbox_depth": status.depth,
        "lag_seconds": round(status.lag_s, 3),
        "dead_letters": status.dead,
        "queued_retries": status.queued_retries,
    }
