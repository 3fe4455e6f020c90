"""Passwords (argon2id via ``argon2-cffi``) and optional TOTP (RFC 6238 via ``pyotp``)."""

from __future__ import annotations

import secrets

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when the email is unknown, so a miss costs the same time as a wrong password.
_DUMMY = _HASHER.hash("no such person")
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (ValueError when it is shorter than 12 characters)."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def new_password() -> str:
    """A fresh random password (about 120 bits, URL-safe)."""
    return secrets.token_urlsafe(15)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (a None hash always fails, at full cost)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    """A random base32 TOTP secret (160 bits) for an authenticator app."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, email: str, issuer: str = "Readiness LRS") -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def totp_ok(secret: str, code: str, now_s: float) -> bool:
    """True when ``code`` is the 6-digit TOTP of ``secret`` at ``now_s`` (±1 step of 30 s)."""
    digits = code.strip().replace(" ", "")
    if len(digits) != 6 or not digits.isdigit():
        return False
    return bool(pyotp.TOTP(secret).verify(digits, for_time=int(now_s), valid_window=1))
