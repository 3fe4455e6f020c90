"""The relying party: the authorization request (PKCE S256, state, nonce) and the code exchange."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from typing import Any

from config.settings import Settings
from lrs.sso.discovery import Discovery, ProviderMetadata
from lrs.sso.http import ProviderError, post_form
from lrs.sso.mapping import parse_group_map
from lrs.sso.pending import Pending, PendingSignIns
from lrs.sso.tokens import JwksKeys, validate_id_token

TOKEN_AUTH = ("client_secret_basic", "client_secret_post")


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class RelyingParty:
    """Everything the sign-in routes need, built once per app from the ``oidc_*`` settings."""

    def __init__(self, settings: Settings, discovery: Discovery | None = None) -> None:
        if not settings.oidc_client_id:
            raise ValueError("LRS_OIDC_CLIENT_ID is required when LRS_OIDC_ISSUER is set")
        if settings.oidc_token_auth not in TOKEN_AUTH:
            raise ValueError(f"LRS_OIDC_TOKEN_AUTH must be one of {', '.join(TOKEN_AUTH)}")
        self.settings = settings
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.group_map = parse_group_map(settings.oidc_group_map)
        self.discovery = discovery or Discovery(settings.oidc_issuer)
        self.pending = PendingSignIns(settings.data_dir / "sso-pending.sqlite")
        self._keys: dict[str, JwksKeys] = {}

    @property
    def scopes(self) -> str:
        """The ``scope`` parameter (``openid`` first, always present)."""
        rest = [s for s in self.settings.oidc_scopes if s != "openid"]
        return " ".join(["openid", *rest])

    def begin(self, redirect_uri: str, next_url: str, now_us: int) -> tuple[str, str]:
        """Record a new sign-in; return (state, the provider's authorization URL)."""
        meta = self.discovery.metadata()
        pending = Pending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),
            next_url=next_url,
            created_us=now_us,
        )
        self.pending.put(pending)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": pkce_challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
        sep = "&" if "?" in meta.authorization_endpoint else "?"
        return pending.state, meta.authorization_endpoint + sep + urllib.parse.urlencode(query)

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        """Redeem the code at the token endpoint (client secret, PKCE verifier)."""
        meta = self.discovery.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers: dict[str, str] = {}
        secret = self.settings.oidc_client_secret
        if self.settings.oidc_token_auth == "client_secret_post":
            form.update(client_id=self.client_id, client_secret=secret)
        else:  # RFC 6749 2.3.1: form-encode both parts before base64
            pair = f"{_form_quote(self.client_id)}:{_form_quote(secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        tokens = post_form(meta.token_endpoint, form, headers)
        if not isinstance(tokens.get("id_token"), str):
            raise ProviderError("the token response has no id_token")
        return tokens

    def verify(self, raw: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims after every check (see :func:`validate_id_token`)."""
        meta = self.discovery.metadata()
        return validate_id_token(
            raw,
            issuer=self.issuer,
            client_id=self.client_id,
            nonce=nonce,
            keys=self.keys(meta),
            algorithms=meta.signing_algs,
        )

    def keys(self, meta: ProviderMetadata) -> JwksKeys:
        """The JWKS client for the provider's key set (one per ``jwks_uri``, cached)."""
        if meta.jwks_uri not in self._keys:
            self._keys[meta.jwks_uri] = JwksKeys(meta.jwks_uri)
        return self._keys[meta.jwks_uri]

    def end_session_url(self, id_token: str, post_logout: str) -> str | None:
        """RP-initiated logout URL, when the provider advertises ``end_session_endpoint``."""
        try:
            end = self.discovery.metadata().end_session_endpoint
        except ProviderError:
            return None
        if end is None:
            return None
        query = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout,
            "client_id": self.client_id,
        }
        sep = "&" if "?" in end else "?"
        return end + sep + urllib.parse.urlencode(query)


def _form_quote(text: str) -> str:
    return urllib.parse.quote_plus(text, safe="")
