"""Operations: request ids and JSON logs, ``/healthz`` and ``/readyz``, Prometheus ``/metrics``.

:func:`register` installs all of it on an app; ``create_app`` calls it before the other hooks so
that every response (errors included) carries an ``X-Request-ID`` and is counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Install request ids, access logs, metrics and the health endpoints on ``app``."""
    # Imported here so that gunicorn's master can load lrs.ops.logs (the log formatter) alone.
    from lrs.ops import health, logs, metrics

    logs.register(app)
    metrics.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
