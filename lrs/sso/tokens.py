"""ID token validation: signature (JWKS, rotation), algorithm allow-list, iss, aud, time, nonce."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any, Protocol

import jwt

# Asymmetric algorithms only: never ``none``, never HS* (a public key must not become an HMAC key).
ALLOWED_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY_S = 60


class TokenRejected(Exception):
    """The ID token failed a check; ``rule`` names which (for the audit log and the page)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule, self.detail = rule, detail


class KeySource(Protocol):
    """Finds the public key for a ``kid`` (refetching the provider's JWKS once when unknown)."""

    def key_for(self, kid: str | None) -> Any:
        """The verification key."""


class JwksKeys:
    """:class:`KeySource` over PyJWT's JWKS client: cached set, one refetch for an unknown kid."""

    def __init__(self, jwks_uri: str) -> None:
        # No cooldown: ID tokens come from the token endpoint over the back channel, so an
        # unknown kid is a genuine rotation, not a browser-supplied probe.
        self.client = jwt.PyJWKClient(jwks_uri, lifespan=3600, timeout=10, cooldown_duration=0)

    def key_for(self, kid: str | None) -> Any:
        """The key with ``kid`` (the only key when the token names none)."""
        try:
            if kid is None:
                keys = self.client.get_signing_keys()
                if len(keys) != 1:
                    raise TokenRejected("kid", "token names no key and the provider has several")
                return keys[0].key
            return self.client.get_signing_key(kid).key
        except jwt.PyJWKClientError as exc:
            raise TokenRejected("kid", str(exc)) from exc


def validate_id_token(
    raw: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    keys: KeySource,
    algorithms: Sequence[str] = ALLOWED_ALGS,
    leeway: int = LEEWAY_S,
) -> dict[str, Any]:
    """The verified claims of ``raw``, or :class:`TokenRejected` naming the failed rule."""
    try:
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError as exc:
        raise TokenRejected("format", str(exc)) from exc
    alg = header.get("alg")
    allowed = [a for a in algorithms if a in ALLOWED_ALGS]
    if alg not in allowed:
        raise TokenRejected("alg", f"algorithm {alg!r} is not allowed")
    key = keys.key_for(header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            raw,
            key,
            algorithms=[alg],
            audience=client_id,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise TokenRejected("signature", str(exc)) from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenRejected("iss", str(exc)) from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenRejected("aud", str(exc)) from exc
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejected("exp", str(exc)) from exc
    except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as exc:
        raise TokenRejected("iat", str(exc)) from exc
    except jwt.PyJWTError as exc:
        raise TokenRejected("claims", str(exc)) from exc
    _check_azp(claims, client_id)
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, nonce):
        raise TokenRejected("nonce", "nonce does not match this sign-in")
    return claims


def _check_azp(claims: dict[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    azp = claims.get("azp")
    if isinstance(aud, list) and len(aud) > 1 and azp != client_id:
        raise TokenRejected("aud", "several audiences and azp is not this client")
    if azp is not None and azp != client_id:
        raise TokenRejected("aud", "azp is not this client")
