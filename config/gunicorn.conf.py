"""Gunicorn settings for Readiness LRS; values come from the LRS_* settings.

Stores are opened lazily in each worker after fork (see lrs.extensions.Services.store).
"""

from config.settings import Settings

_s = Settings.from_env()

bind = f"{_s.host}:{_s.port}"
workers = _s.workers
threads = _s.threads
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
preload_app = False
accesslog = "-"
errorlog = "-"
loglevel = "info"
