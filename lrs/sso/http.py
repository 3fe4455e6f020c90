"""A small JSON-over-HTTPS client for talking to the provider (stdlib only, with timeouts)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_S = 10.0
MAX_BYTES = 1024 * 1024


class ProviderError(Exception):
    """The provider could not be reached or answered with something unusable."""


def _read(req: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            body = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", "replace")
        raise ProviderError(f"{req.full_url}: HTTP {exc.code} {detail[:300]}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderError(f"{req.full_url}: {exc}") from exc
    if len(body) > MAX_BYTES:
        raise ProviderError(f"{req.full_url}: response too large")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ProviderError(f"{req.full_url}: not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderError(f"{req.full_url}: not a JSON object")
    return data


def check_scheme(url: str) -> None:
    """Refuse a provider URL that is not https (plain http only on loopback, for tests)."""
    parts = urllib.parse.urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ProviderError(f"{url}: the provider must be reached over https")


def get_json(url: str) -> dict[str, Any]:
    """GET ``url`` and return its JSON object."""
    check_scheme(url)
    return _read(urllib.request.Request(url, headers={"Accept": "application/json"}))


def post_form(url: str, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    """POST a form to ``url`` and return its JSON object."""
    check_scheme(url)
    body = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        },
    )
    return _read(req)
