"""A small xAPI HTTP client (standard library only): HTTP Basic, version header, any method."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen


class TransportError(Exception):
    """The LRS could not be reached (refused, reset, timed out, DNS)."""


@dataclass
class Reply:
    """An HTTP answer: status, headers, body bytes."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        """The Content-Type header ('' when absent)."""
        return str(self.headers.get("Content-Type", ""))

    def snippet(self) -> str:
        """The status and the start of the body, for error messages."""
        return f"HTTP {self.status}: {self.body[:200].decode('utf-8', 'replace')}"


class XapiClient:
    """Requests to one LRS endpoint (``https://host/xapi/``)."""

    def __init__(
        self, endpoint: str, key: str, secret: str, version: str = "1.0.3", timeout: float = 60
    ) -> None:
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        self.headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": version}
        self.timeout = timeout

    def url(self, resource: str, params: dict[str, str] | None = None) -> str:
        """An absolute URL: a resource under the endpoint, or a server-relative ``more`` link."""
        url = urljoin(self.endpoint, resource)
        return f"{url}?{urlencode(params)}" if params else url

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Reply:
        """Send one request; any HTTP status is a :class:`Reply`, no answer a TransportError."""
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        req = Request(url, data=body, headers=headers, method=method)
        try:
            with urlopen(req, timeout=self.timeout) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except HTTPError as exc:
            return Reply(exc.code, exc.headers, exc.read())
        except (URLError, OSError, TimeoutError) as exc:
            raise TransportError(f"{method} {url}: {exc}") from exc
