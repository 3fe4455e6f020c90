"""The deployed app factory plus the test credential, for a live server on an in-memory store.

``mongomock://`` lives inside one process, so ``lrs credentials add`` (another process) cannot
reach it; gunicorn loads ``tests.reliability.fuzz_app:create()`` instead (one worker).
"""

from __future__ import annotations

from flask import Flask

from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from tests.reliability.server import KEY, SECRET


def create() -> Flask:
    """``create_app()`` from the environment, with credential ``k:s`` (all + admin) added."""
    app = create_app()
    store = services(app).store
    if store.get_credential(KEY) is None:
        cred, _ = new_credential("fuzz", ("all", "admin"), 0, key=KEY, secret=SECRET)
        store.add_credential(cred)
    return app
