"""Gunicorn settings for Readiness LRS; values come from the LRS_* settings.

Stores are opened lazily in each worker after fork (see lrs.extensions.Services.store).
Prometheus metrics run in multiprocess mode: the master wipes and exports
``PROMETHEUS_MULTIPROC_DIR`` before any worker starts (see lrs.ops.metrics).
"""

import os
import shutil
import tempfile
from pathlib import Path

from config.settings import Settings

_s = Settings.from_env()

bind = f"{_s.host}:{_s.port}"
workers = _s.workers
threads = _s.threads
worker_class = "gthread"
timeout = _s.request_timeout_s
graceful_timeout = _s.graceful_timeout_s
keepalive = 5
preload_app = False
loglevel = "info"
errorlog = "-"
accesslog = None if _s.log_format == "json" else "-"  # JSON access records come from lrs.ops


def _metrics_dir() -> str:
    if not _s.metrics_dir:
        return tempfile.mkdtemp(prefix="lrs-metrics-")
    path = Path(_s.metrics_dir)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir()

_formatter = (
    {"()": "lrs.ops.logs.JsonFormatter"}
    if _s.log_format == "json"
    else {"format": "%(asctime)s [%(process)d] %(levelname)s %(name)s [%(request_id)s] %(message)s"}
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "lrs.ops.logs.RequestIdFilter"}},
    "formatters": {"lrs": _formatter},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "lrs",
            "filters": ["request_id"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {
            "level": "WARNING" if _s.log_format == "json" else "INFO",
            "handlers": ["stderr"],
            "propagate": False,
        },
    },
}


def post_worker_init(worker: object) -> None:
    """Settle the worker once its app is loaded (see lrs.ops.runtime)."""
    from lrs.ops.runtime import settle_worker

    settle_worker()


def child_exit(server: object, worker: object) -> None:
    """Drop the live-gauge files of a worker that exited (counters stay, as they should)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(getattr(worker, "pid", 0))
