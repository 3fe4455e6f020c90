"""Security headers on every response (the dashboards add their own page CSP on top).

Defaults, set only where a blueprint did not already choose (``setdefault``):

* ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`` — API responses are
  data, never documents to render; the dashboards set a page policy (``script-src 'self'``, no
  inline scripts);
* ``X-Frame-Options: DENY`` (clickjacking, for browsers without ``frame-ancestors``);
* ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: no-referrer``;
* ``Strict-Transport-Security`` when the request came over HTTPS (behind a TLS proxy, run
  gunicorn with ``--forwarded-allow-ips`` so ``request.is_secure`` is true).
"""

from __future__ import annotations

from flask import Flask, Response, request

API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"


def secure(resp: Response) -> Response:
    """Add the default security headers to ``resp``."""
    headers = resp.headers
    headers.setdefault("Content-Security-Policy", API_CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return resp


def register(app: Flask) -> None:
    """Install the after-request hook on ``app``."""
    app.after_request(secure)
