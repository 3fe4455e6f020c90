"""The provider's metadata from ``<issuer>/.well-known/openid-configuration``, cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lrs.sso.http import ProviderError, check_scheme, get_json

CACHE_S = 3600.0
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True)
class ProviderMetadata:
    """The endpoints and algorithms the relying party uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    signing_algs: tuple[str, ...]

    @classmethod
    def parse(cls, issuer: str, doc: dict[str, Any]) -> ProviderMetadata:
        """Check and read a discovery document (its ``issuer`` must be exactly ours)."""
        if doc.get("issuer") != issuer:
            raise ProviderError(
                f"discovery issuer {doc.get('issuer')!r} is not the configured {issuer!r}"
            )
        for name in REQUIRED:
            if not isinstance(doc.get(name), str) or not doc[name]:
                raise ProviderError(f"discovery document has no {name}")
        end = doc.get("end_session_endpoint")
        for name in (*REQUIRED, "end_session_endpoint"):
            if isinstance(doc.get(name), str) and doc[name]:
                check_scheme(doc[name])
        algs = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
        return cls(
            issuer=issuer,
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            end_session_endpoint=end if isinstance(end, str) and end else None,
            signing_algs=tuple(a for a in algs if isinstance(a, str)),
        )


class Discovery:
    """Fetches the metadata once and keeps it for :data:`CACHE_S` seconds (thread-safe)."""

    def __init__(
        self,
        issuer: str,
        fetch: Callable[[str], dict[str, Any]] = get_json,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer  # compared exactly with the document's and the tokens' iss
        self._fetch, self._monotonic = fetch, monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, ProviderMetadata] | None = None

    @property
    def url(self) -> str:
        """The discovery document's URL."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def metadata(self) -> ProviderMetadata:
        """The cached metadata, fetched when absent or older than the cache time."""
        with self._lock:
            now = self._monotonic()
            if self._cached is not None and now - self._cached[0] < CACHE_S:
                return self._cached[1]
            meta = ProviderMetadata.parse(self.issuer, self._fetch(self.url))
            self._cached = (now, meta)
            return meta
