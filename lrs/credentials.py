"""Creating and checking API credentials (HTTP Basic key + secret, secret hashed with argon2).

Secrets are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher`` defaults, a memory-hard
KDF); the clear secret is shown once by ``lrs credentials add|rotate`` and never stored or
logged. A credential may carry an expiry (``expires``) and records when it was last used
(``last_used``), written at most once per :data:`TOUCH_INTERVAL_US` per credential and process
so that authentication is not a database write per request.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from statements.errors import BadRequest, FieldError
from statements.safejson import check_text
from statements.store.base import Credential
from statements.timefmt import format_us, to_us

SCOPES = (
    "statements/write",
    "statements/read",
    "statements/read/mine",
    "all/read",
    "all",
    "state",
    "define",
    "profile",
    "analytics/read",
    "analytics/staff",
    "admin",
    "metrics",
)
AUTHORITY_HOME = "http://readiness-lrs.local/credentials"

_HASHER = PasswordHasher()
TOUCH_INTERVAL_US = 60_000_000


def parse_expiry(text: str | None) -> str | None:
    """``--expires`` as the stored ISO 8601 UTC instant; a bare date means 00:00 UTC that day.

    A time without an offset is read as UTC. ``None``/empty means "never expires".
    """
    if not text:
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            moment = datetime.combine(datetime.fromisoformat(raw).date(), dtime(), UTC)
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(
            "expires must be an ISO 8601 date or date-time",
            [FieldError("expires", "timestamp", f"got {text!r}")],
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_us(to_us(moment))


def expired(cred: Credential, now_us: int) -> bool:
    """True when the credential has an expiry at or before ``now_us``."""
    if not cred.expires:
        return False
    moment = datetime.fromisoformat(cred.expires.replace("Z", "+00:00"))
    return to_us(moment) <= now_us


def usable(cred: Credential, now_us: int) -> bool:
    """True for a credential that is not revoked and has not expired."""
    return not cred.revoked and not expired(cred, now_us)


def hash_secret(secret: str) -> str:
    """The argon2id hash of a secret (what the store keeps)."""
    return _HASHER.hash(secret)


def new_secret() -> str:
    """A fresh random secret (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def authority_for(key: str, name: str) -> dict[str, Any]:
    """The authority Agent stamped on statements posted with this credential."""
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": AUTHORITY_HOME, "name": key},
    }


def new_credential(
    name: str,
    scopes: Iterable[str],
    now_us: int,
    key: str | None = None,
    secret: str | None = None,
    expires: str | None = None,
) -> tuple[Credential, str]:
    """A credential and its clear secret (shown once; only the hash is stored).

    Text that cannot be stored (a lone surrogate, e.g. from undecodable command-line bytes) is
    a 400 naming the field.
    """
    for field_name, text in (("name", name), ("key", key), ("secret", secret)):
        if text is not None:
            check_text(text, field_name)
    scope_list = tuple(dict.fromkeys(scopes))
    unknown = [s for s in scope_list if s not in SCOPES]
    if unknown or not scope_list:
        raise BadRequest(f"unknown or missing scopes: {unknown}; choose from {', '.join(SCOPES)}")
    key = key or secrets.token_urlsafe(12)
    secret = secret or new_secret()
    cred = Credential(
        key=key,
        secret_hash=hash_secret(secret),
        name=name,
        scopes=scope_list,
        authority=authority_for(key, name),
        created=format_us(now_us),
        expires=expires,
    )
    return cred, secret


class Verifier:
    """Checks key/secret pairs; remembers recent successes so argon2 runs once per TTL.

    The cache holds a SHA-256 of the secret, never the secret, and is consulted only after the
    credential has been re-read from the store (so revocation takes effect at once).
    """

    def __init__(self, ttl_seconds: float = 300.0) -> None:
        self._ttl = ttl_seconds
        self._ok: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._dummy: str | None = None

    def refuse(self, secret: str) -> bool:
        """Spend one argon2 verification and return False (an unknown key costs the same)."""
        if self._dummy is None:
            self._dummy = _HASHER.hash(new_secret())
        with contextlib.suppress(VerificationError, InvalidHashError):
            _HASHER.verify(self._dummy, secret)
        return False

    def verify(self, cred: Credential, secret: str) -> bool:
        """True when ``secret`` matches ``cred`` (constant-time on the cached path)."""
        digest = hashlib.sha256(f"{cred.key}\0{secret}\0{cred.secret_hash}".encode()).digest()
        now = time.monotonic()
        with self._lock:
            hit = self._ok.get(cred.key)
        if hit is not None and hit[1] > now and hmac.compare_digest(hit[0], digest):
            return True
        try:
            _HASHER.verify(cred.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        with self._lock:
            if len(self._ok) > 10_000:
                self._ok.clear()
            self._ok[cred.key] = (digest, now + self._ttl)
        return True


class UseRecorder:
    """Decides when to write a credential's ``last_used``: at most once a minute per process."""

    def __init__(self, interval_us: int = TOUCH_INTERVAL_US) -> None:
        self._interval = interval_us
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def due(self, key: str, now_us: int) -> bool:
        """True (and remembered) when ``key`` was not recorded in the last interval."""
        with self._lock:
            last = self._last.get(key)
            if last is not None and now_us - last < self._interval:
                return False
            if len(self._last) > 10_000:
                self._last.clear()
            self._last[key] = now_us
            return True
