"""Creating and checking API credentials (HTTP Basic key + secret, secret hashed with argon2)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from statements.errors import BadRequest
from statements.store.base import Credential
from statements.timefmt import format_us

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
)
AUTHORITY_HOME = "http://readiness-lrs.local/credentials"

_HASHER = PasswordHasher()


def authority_for(key: str, name: str) -> dict[str, Any]:
    """The authority Agent stamped on statements posted with this credential."""
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": AUTHORITY_HOME, "name": key},
    }


def new_credential(
    name: str, scopes: Iterable[str], now_us: int, key: str | None = None, secret: str | None = None
) -> tuple[Credential, str]:
    """A credential and its clear secret (shown once; only the hash is stored)."""
    scope_list = tuple(dict.fromkeys(scopes))
    unknown = [s for s in scope_list if s not in SCOPES]
    if unknown or not scope_list:
        raise BadRequest(f"unknown or missing scopes: {unknown}; choose from {', '.join(SCOPES)}")
    key = key or secrets.token_urlsafe(12)
    secret = secret or secrets.token_urlsafe(24)
    cred = Credential(
        key=key,
        secret_hash=_HASHER.hash(secret),
        name=name,
        scopes=scope_list,
        authority=authority_for(key, name),
        created=format_us(now_us),
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
