"""Creating a subscription from a JSON-like spec, validated (shared by the CLI and dashboards).

Errors are ``BadRequest`` naming the field and the rule. A staff-level subscription needs the
``analytics/staff`` scope (``may_staff``); a webhook needs an http(s) URL and takes a secret
for its HMAC signature; an email target must look like an address.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from statements.alerts.model import CHANNELS, FORMATS, KINDS, SEVERITIES, Subscription
from statements.errors import BadRequest, FieldError

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
LISTS = ("sites", "service_lines", "departments", "competencies", "kinds")
FIELDS = {
    "channel",
    "target",
    "secret",
    "format",
    "min_severity",
    "immediate",
    "digest",
    "staff_level",
    *LISTS,
}


def _bad(name: str, rule: str, message: str) -> BadRequest:
    return BadRequest(f"{name}: {message}", [FieldError(name, rule, message)])


def _strings(spec: dict[str, Any], name: str) -> tuple[str, ...]:
    value = spec.get(name) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise _bad(name, "type", "a list of non-empty strings")
    return tuple(value)


def _target(channel: str, target: Any) -> str:
    if not isinstance(target, str) or not target:
        raise _bad("target", "required", "an email address or a webhook URL is required")
    if channel == "email" and not EMAIL.match(target):
        raise _bad("target", "email", "an email address such as lead@example.org")
    if channel == "webhook":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _bad("target", "url", "an absolute http(s) URL")
    return target


def new_subscription(
    spec: dict[str, Any], *, owner: str, now_us: int, may_staff: bool
) -> Subscription:
    """A subscription from ``spec``, validated; the id is random."""
    unknown = set(spec) - FIELDS
    if unknown:
        raise _bad(sorted(unknown)[0], "unknown_field", "not a subscription field")
    channel = spec.get("channel") or "email"
    if channel not in CHANNELS:
        raise _bad("channel", "enum", "email or webhook")
    fmt = spec.get("format") or "generic"
    if fmt not in FORMATS:
        raise _bad("format", "enum", "generic, slack or teams")
    severity = spec.get("min_severity") or "low"
    if severity not in SEVERITIES:
        raise _bad("min_severity", "enum", "low, medium or high")
    lists = {name: _strings(spec, name) for name in LISTS}
    bad_kind = [k for k in lists["kinds"] if k not in KINDS]
    if bad_kind:
        raise _bad("kinds", "enum", f"unknown event kind {bad_kind[0]!r}")
    flags = {k: spec.get(k, k != "staff_level") for k in ("immediate", "digest", "staff_level")}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise _bad(name, "type", "true or false")
    if flags["staff_level"] and not may_staff:
        raise _bad("staff_level", "scope", "staff-level alerts need the analytics/staff scope")
    if not flags["immediate"] and not flags["digest"]:
        raise _bad("digest", "required", "choose immediate alerts, the weekly digest or both")
    secret = spec.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) < 16):
        raise _bad("secret", "length", "a string of at least 16 characters")
    return Subscription(
        id=secrets.token_hex(8),
        owner=owner,
        channel=channel,
        target=_target(channel, spec.get("target")),
        secret=secret,
        format=fmt,
        min_severity=severity,
        sites=lists["sites"],
        service_lines=lists["service_lines"],
        departments=lists["departments"],
        competencies=lists["competencies"],
        kinds=lists["kinds"],
        immediate=flags["immediate"],
        digest=flags["digest"],
        staff_level=flags["staff_level"],
        created_us=now_us,
    )
