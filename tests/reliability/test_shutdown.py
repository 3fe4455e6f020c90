"""Graceful shutdown: a request in flight when gunicorn gets SIGTERM still completes.

Deterministic without sleeps: the client sends ``Expect: 100-continue`` and waits for gunicorn's
``100 Continue``, which a worker thread writes only once it is handling the request; then the
master gets SIGTERM, and only then does the client send the body.
"""

from __future__ import annotations

import json
import signal
import socket
import uuid
from pathlib import Path

import requests

from tests.reliability import server
from tests.reliability.server import AUTH


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_sigterm_lets_the_in_flight_batch_finish(tmp_path: Path) -> None:
    body = json.dumps(
        [
            {
                "id": str(uuid.UUID(int=i + 1)),
                "actor": {"mbox": "mailto:s@example.org"},
                "verb": {"id": "http://example.org/v"},
                "object": {"id": "http://example.org/a"},
            }
            for i in range(300)
        ]
    ).encode()
    head = (
        "POST /xapi/statements HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {AUTH}\r\nX-Experience-API-Version: 1.0.3\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    ).encode()
    data = tmp_path / "data"
    with server.live(data, workers=2) as live:
        with socket.create_connection(("127.0.0.1", live.port), timeout=60) as sock:
            sock.sendall(head)
            assert _read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100")
            live.proc.send_signal(signal.SIGTERM)  # shutdown begins with the request in flight
            sock.sendall(body)
            response = _read_until(sock, b"]")
        assert response.startswith(b"HTTP/1.1 200"), response[:300]
        ids = json.loads(response.split(b"\r\n\r\n", 1)[1])
        assert len(ids) == 300
        assert live.proc.wait(timeout=60) == 0  # the master then exits cleanly
        try:
            requests.get(f"{live.base}/healthz", timeout=2)
            raise AssertionError("the server still accepts connections after shutdown")
        except requests.ConnectionError:
            pass
    with server.live(data, workers=1) as live:
        got = requests.get(
            f"{live.base}/xapi/statements?statementId={ids[-1]}",
            headers={"Authorization": AUTH, "X-Experience-API-Version": "1.0.3"},
            timeout=30,
        )
        assert got.status_code == 200
