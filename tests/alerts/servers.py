"""Real loopback servers for the delivery tests: an SMTP sink (aiosmtpd) and a webhook receiver."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted"


@contextmanager
def smtp_sink(login: tuple[str, str] | None = None) -> Iterator[tuple[int, list[EmailMessage]]]:
    """An SMTP server on loopback (requiring ``login`` when given); yields (port, messages)."""
    sink = _Sink()
    extra: dict[str, Any] = {}
    if login is not None:
        from aiosmtpd.smtp import AuthResult

        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = (data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok)

        extra = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **extra)
    controller.start()
    try:
        yield controller.port, sink.messages
    finally:
        controller.stop()


@dataclass
class Receiver:
    """What the webhook receiver saw: every request, and the bodies it accepted (by key)."""

    fail_first: int = 0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    accepted: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = 500 if len(self.requests) < self.fail_first else 200
            self.requests.append((headers, body, status))
            if status == 200:  # idempotent by key: a repeat is acknowledged, kept once
                self.accepted.setdefault(headers["Idempotency-Key"], body)
            return status

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(b) for b in self.accepted.values()]


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    """An HTTP server on loopback that answers 500 to its first ``fail_first`` requests."""
    seen = Receiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = seen.answer(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
