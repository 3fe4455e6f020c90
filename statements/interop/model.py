"""Forwarding destinations, their filters and the delivery schedule (pure, no I/O).

The outbox of a destination is the statement log itself: every statement has a ``seq`` given
in the transaction that stores it, so a destination's outbox is "every statement with ``seq``
above its delivered watermark" — written in the same transaction as the statement, on both
backends, by construction. See ``docs/interop.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statements.ifi import agent_key

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


@dataclass
class Destination:
    """A forwarding target (any conformant LRS) and its delivery progress."""

    name: str
    url: str
    key: str
    secret: str
    version: str = "1.0.3"
    verb: str | None = None
    activity_prefix: str | None = None
    authority_key: str | None = None
    batch_size: int = 100
    created_us: int = 0
    watermark: int = 0
    attempts: int = 0
    next_attempt_us: int = 0
    last_error: str | None = None
    failures: int = 0
    delivered: int = 0
    last_success_us: int | None = None

    def public(self) -> dict[str, Any]:
        """The destination as shown by the CLI and the admin API (never the secret)."""
        out = {k: v for k, v in self.__dict__.items() if k != "secret"}
        out["filter"] = {
            "verb": self.verb,
            "activity_prefix": self.activity_prefix,
            "authority_key": self.authority_key,
        }
        return out


@dataclass(frozen=True)
class DeadLetter:
    """A statement a destination gave up on after N attempts (or refused as bad)."""

    name: str
    statement_id: str
    seq: int
    error: str
    attempts: int
    at_us: int
    state: str = "dead"  # "dead" or "retry" (queued by ``lrs forward retry``)


@dataclass(frozen=True)
class Status:
    """What an operator needs to see about one destination (CLI, admin API, /metrics)."""

    destination: Destination
    depth: int
    lag_s: float
    dead: int
    queued_retries: int
    extra: dict[str, Any] = field(default_factory=dict)


def _object_activity(body: dict[str, Any]) -> str | None:
    obj = body.get("object")
    if isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity":
        value = obj.get("id")
        return str(value) if value is not None else None
    return None


def matches(dest: Destination, body: dict[str, Any], target: dict[str, Any] | None) -> bool:
    """Whether ``body`` goes to ``dest``.

    A voiding statement follows the statement it voids (``target``, when known): it is sent
    where its target was sent, whatever its own verb. Unknown targets are sent (harmless).
    """
    verb = (body.get("verb") or {}).get("id")
    if verb == VOIDED_VERB:
        return True if target is None else matches(dest, target, None)
    if dest.verb is not None and verb != dest.verb:
        return False
    if dest.activity_prefix is not None:
        activity = _object_activity(body)
        if activity is None or not activity.startswith(dest.activity_prefix):
            return False
    if dest.authority_key is not None:
        authority = body.get("authority")
        if not isinstance(authority, dict) or agent_key(authority) != dest.authority_key:
            return False
    return True


def backoff_us(attempts: int, base_s: float, cap_s: float) -> int:
    """Delay before the next attempt after ``attempts`` failures: ``base * 2**(n-1)``, capped."""
    if attempts <= 0:
        return 0
    delay = min(cap_s, base_s * 2 ** min(attempts - 1, 40))
    return int(delay * 1_000_000)
