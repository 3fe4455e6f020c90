"""Request ids and structured logs.

Every request gets an id: the client's ``X-Request-ID`` when it is a short token, else a new
UUID. It is echoed in the ``X-Request-ID`` response header and attached to every log record
made while the request runs (:class:`RequestIdFilter`); one ``lrs.access`` record per request
carries method, path, status and duration. :class:`JsonFormatter` renders records as one JSON
object per line; ``config/gunicorn.conf.py`` installs it when ``LRS_LOG_FORMAT=json``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

access_log = logging.getLogger("lrs.access")


def request_id() -> str:
    """The id of the current request (taken from the client or generated once)."""
    found = g.get("request_id")
    if found is None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        found = sent if _TOKEN.match(sent) else uuid.uuid4().hex
        g.request_id = found
    return str(found)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to records made inside a request (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate ``record``; never drops it."""
        if not hasattr(record, "request_id"):
            record.request_id = request_id() if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as JSON."""
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def register(app: Flask) -> None:
    """Assign request ids, echo them, and log one access record per request."""

    @app.before_request
    def _start() -> None:
        g.ops_started = time.perf_counter()
        request_id()

    @app.after_request
    def _finish(resp: Response) -> Response:
        rid = request_id()
        resp.headers[REQUEST_ID_HEADER] = rid
        started = g.get("ops_started")
        elapsed = time.perf_counter() - started if started is not None else 0.0
        principal = g.get("principal")
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            resp.status_code,
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.path,
                "status": resp.status_code,
                "duration_ms": round(elapsed * 1000, 3),
                "credential": principal.credential.key if principal is not None else None,
                "remote": request.remote_addr,
            },
        )
        return resp
