"""Send a :class:`~tests.reliability.hostile.Probe` and judge the answer.

The oracle: never a status >= 500; every error is the JSON error body; a statement the LRS
accepted reads back (``format=exact``) with every property sent, unchanged; a document it
accepted with PUT reads back byte for byte. Works with a Flask test client (``Sender`` built
by :func:`flask_sender`) or over HTTP against a live server (:func:`http_sender`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from tests.reliability.hostile import Probe, expected_statement


@dataclass
class Answer:
    """Status, body bytes and Content-Type of one response."""

    status: int
    body: bytes
    content_type: str


Sender = Callable[[str, str, bytes, dict[str, str]], Answer]


def flask_sender(client: Any, auth: dict[str, str]) -> Sender:
    """A sender through a Flask test client."""

    def send(method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        resp = client.open(path, method=method, data=body, headers={**auth, **headers})
        return Answer(resp.status_code, resp.get_data(), resp.headers.get("Content-Type", ""))

    return send


def http_sender(session: requests.Session, base: str, auth: dict[str, str]) -> Sender:
    """A sender over HTTP; a dropped connection raises ``requests.ConnectionError``."""

    def send(method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        resp = session.request(
            method, base + path, data=body, headers={**auth, **headers}, timeout=120
        )
        return Answer(resp.status_code, resp.content, resp.headers.get("Content-Type", ""))

    return send


def _error_shaped(answer: Answer) -> str | None:
    if not answer.content_type.startswith("application/json"):
        return f"{answer.status} is not JSON ({answer.content_type})"
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"{answer.status} body is not JSON"
    if not isinstance(body, dict) or body.get("status") != answer.status:
        return f"{answer.status} body is not the error shape"
    return None


def check(send: Sender, probe: Probe) -> tuple[int, str | None]:
    """Send ``probe``; (status, problem or None)."""
    answer = send(probe.method, probe.path, probe.body, probe.headers)
    if answer.status >= 500:
        return answer.status, f"server error {answer.status}: {answer.body[:300]!r}"
    if answer.status == 414 and "html" in answer.content_type:
        return answer.status, None  # gunicorn's own request-line limit, before the app runs
    if answer.status >= 400 and answer.status != 404:
        if probe.path.startswith("/analytics/imports/"):  # answers with its import report
            ok = answer.content_type.startswith("application/json")
            return answer.status, None if ok else "import report is not JSON"
        return answer.status, _error_shaped(answer)
    if probe.statement_id is not None and answer.status in (200, 204):
        return answer.status, _statement_back(send, probe)
    if probe.document is not None and answer.status == 204:
        return answer.status, _document_back(send, probe)
    return answer.status, None


def _document_back(send: Sender, probe: Probe) -> str | None:
    """PUT: the same bytes; POST: a JSON object holding every posted property unchanged."""
    back = send("GET", probe.path, b"", {})
    if probe.method == "PUT":
        ok = back.body == probe.document
        return None if ok else f"document read back differs: {back.body[:200]!r}"
    posted = json.loads(probe.body)
    stored = json.loads(back.body)
    if not isinstance(stored, dict) or any(stored.get(k) != v for k, v in posted.items()):
        return f"merged document lost a posted property: {back.body[:200]!r}"
    return None


def _statement_back(send: Sender, probe: Probe) -> str | None:
    sent = expected_statement(probe)
    if sent is None:
        return "accepted a body that is not strict JSON"
    sid = quote(str(probe.statement_id))
    back = send("GET", f"/xapi/statements?statementId={sid}&format=exact", b"", {})
    if back.status != 200:
        return f"accepted statement reads back {back.status}"
    stored = json.loads(back.body)
    for key, value in sent.items():
        if stored.get(key) != value:
            return f"statement property {key} read back altered: {stored.get(key)!r:.200}"
    return None
