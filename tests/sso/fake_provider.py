"""A scripted OpenID provider for negative tests: the token endpoint returns a crafted ID token.

Serves discovery, a JWKS with one test RSA key, and a token endpoint that records each request
(to check PKCE and client authentication) and answers with ``FakeProvider.id_token``.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, request

CLIENT_ID = "lrs-dashboards"
CLIENT_SECRET = "test-client-secret"


class FakeProvider:
    """Holds the test key, the issuer (set once served) and the next token to hand out."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.issuer = ""
        self.id_token = ""
        self.token_requests: list[dict[str, Any]] = []
        self.end_session = True  # advertise end_session_endpoint (RP-initiated logout)
        self.app = self._build()

    def public_pem(self) -> bytes:
        """The test key's public half, PEM (for the HS256-with-public-key attack)."""
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def claims(self, nonce_value: str, **changes: Any) -> dict[str, Any]:
        """A valid claim set for ``nonce_value``; ``changes`` override (None removes a claim)."""
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "u-alice",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce_value,
            "name": "Alice Quality",
            "email": "alice@hospital.test",
            "groups": ["lrs-quality"],
        }
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """RS256 with the published test key."""
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid, **header})

    def _build(self) -> Flask:
        app = Flask("fake_provider")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            doc = {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            }
            if self.end_session:
                doc["end_session_endpoint"] = f"{self.issuer}/logout"
            return jsonify(doc)

        @app.get("/jwks")
        def jwks() -> Any:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return jsonify(keys=[{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}])

        @app.post("/token")
        def token() -> Any:
            auth = request.headers.get("Authorization", "")
            basic = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
            self.token_requests.append({"form": request.form.to_dict(), "basic": basic})
            return jsonify(access_token="at", token_type="Bearer", id_token=self.id_token)

        return app
