"""An oversized body gets a 413 the client can read, on real servers (issue 21).

A client that writes the whole body before reading (``requests``) must read the JSON 413, not
a broken pipe or a reset; so must one that sends ``Expect: 100-continue`` and waits. Both
gunicorn as deployed (``config/gunicorn.conf.py``, via :mod:`tests.reliability.server`) and the
development server (werkzeug's threaded server, what ``lrs serve --dev`` runs) are tested.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from tests.reliability import server as live_server

LIMIT = 100_000
BIG = 4 * 1024 * 1024  # 40x the limit, far more than a socket buffer holds
STATE = (
    "/xapi/activities/state?activityId=http%3A%2F%2Fexample.org%2Fa&stateId=s"
    "&agent=%7B%22mbox%22%3A%22mailto%3Aa%40example.org%22%7D"
)


@pytest.fixture(scope="module", params=["gunicorn", "dev"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("bodylimit") / "data"
    limits = {"LRS_MAX_BODY_BYTES": str(LIMIT), "LRS_MAX_DOCUMENT_BYTES": str(LIMIT // 10)}
    if request.param == "gunicorn":
        with live_server.live(data, workers=1, threads=2, **limits) as srv:
            yield srv.base
        return
    data.mkdir(parents=True)
    settings = Settings(
        data_dir=data, secret_key="t", max_body_bytes=LIMIT, max_document_bytes=LIMIT // 10
    )
    app = create_app(settings)
    cred, _ = new_credential("t", ("all",), 0, key=live_server.KEY, secret=live_server.SECRET)
    services(app).store.add_credential(cred)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=30)


def _assert_413(status: int, body: bytes, rule: str) -> None:
    assert status == 413, body[:300]
    doc = json.loads(body)
    assert doc["status"] == 413 and doc["errors"][0]["rule"] == rule
    assert f"LRS_{rule.upper()}" in doc["error"]


@pytest.mark.parametrize(
    "path,size,rule",
    [("/xapi/statements", BIG, "max_body_bytes"), (STATE, LIMIT, "max_document_bytes")],
)
def test_client_sending_the_whole_body_reads_the_413(
    base: str, path: str, size: int, rule: str
) -> None:
    body = b'{"x":"' + b"a" * size + b'"}'
    headers = {**live_server.HEADERS, "Content-Type": "application/json", "If-None-Match": "*"}
    with requests.Session() as session:
        resp = session.post(base + path, data=body, headers=headers, timeout=60)
        _assert_413(resp.status_code, resp.content, rule)
        # the connection (or a new one) still serves the next request
        assert session.get(base + "/xapi/about", timeout=30).status_code == 200


def test_chunked_body_over_the_limit_reads_the_413(base: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(BIG // 65536):
            yield b"a" * 65536

    headers = {**live_server.HEADERS, "Content-Type": "application/json"}
    resp = requests.post(base + "/xapi/statements", data=chunks(), headers=headers, timeout=60)
    _assert_413(resp.status_code, resp.content, "max_body_bytes")


class _Responses:
    """Reads successive HTTP/1.1 responses off one socket, keeping bytes that arrive early."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self, why: str) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, f"connection closed {why}: {self.buf!r}"
        self.buf += chunk

    def next(self) -> tuple[int, bytes]:
        """The next response's status and body (an interim 1xx response has no body)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill("before a response")
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if 100 <= status < 200:
            return status, b""
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(self.buf) < length:
            self._fill("mid-response")
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, body

    def final(self) -> tuple[int, bytes]:
        """The next final response, skipping interim ones (RFC 9110 section 15.2 allows several)."""
        status, body = self.next()
        while 100 <= status < 200:
            status, body = self.next()
        return status, body


def test_expect_100_continue_client_reads_the_413(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    body = b"[" + b" " * BIG + b"]"
    head = (
        "POST /xapi/statements HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: {live_server.AUTH}\r\n"
        "X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head)
        responses = _Responses(sock)
        status, rest = responses.next()
        if status == 100:  # both servers say "continue" before the app sees the request
            # the dev server may say it twice (http.server, then werkzeug); a client must cope
            sock.sendall(body)
            status, rest = responses.final()
        _assert_413(status, rest, "max_body_bytes")


def test_body_within_the_limit_is_still_accepted(base: str) -> None:
    stmt: dict[str, Any] = {
        "actor": {"mbox": "mailto:a@example.org"},
        "verb": {"id": "http://example.org/v"},
        "object": {"id": "http://example.org/a"},
    }
    resp = requests.post(
        base + "/xapi/statements", json=stmt, headers=live_server.HEADERS, timeout=30
    )
    assert resp.status_code == 200


def test_rejected_request_with_unread_body_leaves_the_client_a_readable_answer(
    base: str, tmp_path: Path
) -> None:
    """A 401 answered before the view reads a (within-limit) body is still readable."""
    body = b"[" + b" " * (LIMIT - 10) + b"]"
    headers = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    with requests.Session() as session:
        resp = session.post(base + "/xapi/statements", data=body, headers=headers, timeout=60)
        assert resp.status_code == 401
        assert session.get(base + "/xapi/about", timeout=30).status_code == 200
