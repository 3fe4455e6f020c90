"""Signed, opaque ``more`` tokens: a query, its render options and its position."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from statements.errors import BadRequest, FieldError
from statements.query import QueryOptions, StatementQuery


class CursorCodec:
    """Encodes and decodes ``more`` tokens with the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._s = URLSafeSerializer(secret_key, salt="xapi-more")

    def encode(self, query: StatementQuery, options: QueryOptions, version: str) -> str:
        """A token for ``query`` (already positioned on the next page)."""
        payload: dict[str, Any] = {
            "q": query.to_params(),
            "f": options.format,
            "a": options.attachments,
            "v": version,
        }
        return str(self._s.dumps(payload))

    def decode(self, token: str) -> tuple[StatementQuery, QueryOptions, str]:
        """The query, options and version of a token; 400 when tampered or malformed."""
        try:
            payload = self._s.loads(token)
            query = StatementQuery.from_params(payload["q"])
            options = QueryOptions(format=payload["f"], attachments=bool(payload["a"]))
            return query, options, str(payload["v"])
        except (BadSignature, KeyError, TypeError) as exc:
            raise BadRequest(
                "invalid more token", [FieldError("more", "cursor", "not a token from this LRS")]
            ) from exc
