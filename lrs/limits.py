"""Request limits: a per-credential rate limit (token bucket) and the attachment size cap.

The rate limit (``LRS_RATE_LIMIT_PER_MINUTE``; 0 = off) refills each credential's bucket at that
many tokens a minute, up to a minute's worth, and answers 429 with ``Retry-After`` (whole
seconds until a token is back) when the bucket is empty. The caller is authenticated first, so a
wrong secret cannot spend someone else's tokens. Buckets live in each worker process: with N
gunicorn workers a credential may get up to N times the rate in the worst case.

The body size cap is Flask's ``MAX_CONTENT_LENGTH`` (``LRS_MAX_BODY_BYTES``, 413); the batch
length and page size caps are enforced by the Statement resource (``LRS_MAX_BATCH``,
``LRS_STATEMENT_PAGE_LIMIT``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, request

from lrs.auth import authenticate
from lrs.errors import error_response
from lrs.extensions import services
from statements.errors import FieldError, LRSError, PayloadTooLarge
from statements.store.base import Attachment

LIMITED_PREFIXES = ("/xapi/", "/analytics/", "/api/")


class TooManyRequests(LRSError):
    """The credential has used up its request budget (429)."""

    status = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            "rate limit exceeded",
            [FieldError("Authorization", "rate_limit", f"retry after {retry_after_s} s")],
        )
        self.retry_after_s = retry_after_s


@dataclass
class TokenBucket:
    """Tokens refill continuously at ``rate_per_s`` up to ``capacity``."""

    capacity: float
    rate_per_s: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token; return 0 on success, else the seconds until one is available."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate_per_s)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate_per_s


@dataclass
class RateLimiter:
    """One token bucket per credential key; thread-safe; ``clock`` injectable for tests."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, key: str) -> None:
        """Spend one request of ``key``; raise :class:`TooManyRequests` when none is left."""
        if self.per_minute <= 0:
            return
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                cap = float(self.per_minute)
                bucket = TokenBucket(cap, cap / 60.0, cap, now)
                self._buckets[key] = bucket
            wait = bucket.take(now)
        if wait > 0:
            raise TooManyRequests(max(1, math.ceil(wait)))


def limiter_of(app: Flask | None = None) -> RateLimiter:
    """The :class:`RateLimiter` of ``app`` (default: the current app)."""
    found: RateLimiter = (app or current_app).extensions["lrs_rate_limiter"]
    return found


def check_attachment_sizes(parts: Sequence[Attachment], limit: int) -> None:
    """413 naming the first attachment part larger than ``limit`` bytes."""
    for index, part in enumerate(parts, start=1):
        if len(part.content) > limit:
            raise PayloadTooLarge(
                f"an attachment is larger than {limit} bytes",
                [
                    FieldError(
                        f"part[{index}]", "max_attachment_bytes", f"{len(part.content)} bytes"
                    )
                ],
            )


def register(app: Flask) -> None:
    """Install the rate limit (a no-op when ``rate_limit_per_minute`` is 0)."""
    limiter = RateLimiter(services(app).settings.rate_limit_per_minute)
    app.extensions["lrs_rate_limiter"] = limiter

    @app.before_request
    def _rate_limit() -> None:
        if limiter.per_minute <= 0 or request.method == "OPTIONS":
            return
        if not request.path.startswith(LIMITED_PREFIXES) or "Authorization" not in request.headers:
            return
        try:
            key = authenticate().credential.key
        except LRSError:
            return  # the view answers 401 / 503 itself
        limiter.check(key)

    @app.errorhandler(TooManyRequests)
    def _too_many(exc: TooManyRequests) -> Response:
        resp = error_response(429, exc.message, [e.as_dict() for e in exc.errors])
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
