"""Delivering one outbox row: email through SMTP, or a signed webhook POST.

Both are idempotent by the outbox row id: an email carries it in ``Message-ID`` (a digest of
the id, the same on every attempt), a webhook in ``Idempotency-Key`` and ``X-Readiness-Id``.
A webhook body is signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` using the
subscription's secret: ``X-Readiness-Signature: sha256=<hex>`` and ``X-Readiness-Timestamp``
(Unix seconds). Any failure raises :class:`DeliveryError`; the sender retries with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from analytics.notify.render import html_body, subject, text_body, webhook_payload
from analytics.notify.retraining import to_csv
from analytics.notify.staff import retraining_rows
from statements.alerts.model import Event, OutboxItem, Subscription


class DeliveryError(Exception):
    """A delivery attempt failed (retried with backoff until the attempts run out)."""


class Transport(Protocol):
    """Sends one outbox row to one subscription."""

    def send(self, item: OutboxItem, sub: Subscription, events: list[Event]) -> None:
        """Deliver, or raise :class:`DeliveryError`."""


def message_id(item_id: str) -> str:
    """The email ``Message-ID`` of an outbox row (the same on every attempt)."""
    return f"<{hashlib.sha256(item_id.encode()).hexdigest()[:32]}@readiness-lrs>"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send email (the LRS_SMTP_* settings)."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = ""
    sender: str = "readiness-lrs@localhost"
    timeout_s: float = 10.0


def email_message(
    cfg: SmtpConfig, item: OutboxItem, sub: Subscription, events: list[Event]
) -> EmailMessage:
    """The multipart (plain text + HTML) email of an outbox row."""
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = sub.target
    msg["Subject"] = subject(item, events)
    msg["Message-ID"] = message_id(item.id)
    msg["Date"] = formatdate(usegmt=True)
    msg["X-Readiness-Id"] = item.id
    msg.set_content(text_body(item, events))
    msg.add_alternative(html_body(item, events), subtype="html")
    rows = retraining_rows(events)
    if rows:
        msg.add_attachment(
            to_csv(rows).encode(), maintype="text", subtype="csv", filename="retraining.csv"
        )
    return msg


class EmailTransport:
    """SMTP delivery (STARTTLS and login when configured)."""

    def __init__(self, cfg: SmtpConfig) -> None:
        self.cfg = cfg

    def send(self, item: OutboxItem, sub: Subscription, events: list[Event]) -> None:
        """Send the email, or raise :class:`DeliveryError`."""
        if not self.cfg.host:
            raise DeliveryError("email is not configured (LRS_SMTP_HOST is empty)")
        msg = email_message(self.cfg, item, sub, events)
        try:
            with smtplib.SMTP(self.cfg.host, self.cfg.port, timeout=self.cfg.timeout_s) as smtp:
                if self.cfg.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.cfg.user:
                    smtp.login(self.cfg.user, self.cfg.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.cfg.host}:{self.cfg.port}: {exc}") from exc


class WebhookTransport:
    """Signed JSON POSTs (generic, Slack or Teams body)."""

    def __init__(self, clock_s: Callable[[], int], timeout_s: float = 10.0) -> None:
        self.clock_s, self.timeout_s = clock_s, timeout_s

    def request(
        self, item: OutboxItem, sub: Subscription, events: list[Event]
    ) -> urllib.request.Request:
        """The signed POST of an outbox row."""
        body = json.dumps(webhook_payload(sub.format, item, events), separators=(",", ":")).encode()
        stamp = str(self.clock_s())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "readiness-lrs-alerts",
            "Idempotency-Key": item.id,
            "X-Readiness-Id": item.id,
            "X-Readiness-Timestamp": stamp,
        }
        if sub.secret:
            headers["X-Readiness-Signature"] = signature(sub.secret, stamp, body)
        return urllib.request.Request(sub.target, data=body, headers=headers, method="POST")

    def send(self, item: OutboxItem, sub: Subscription, events: list[Event]) -> None:
        """POST the payload; any non-2xx answer or transport error raises DeliveryError."""
        req = self.request(item, sub, events)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as reply:
                reply.read(65536)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"HTTP {exc.code} from {sub.target}") from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"{sub.target}: {exc}") from exc
