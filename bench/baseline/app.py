"""The benchmark baseline: a trivial Flask endpoint that only parses the same JSON body.

Served by gunicorn with the LRS's own settings, so the ratio LRS/baseline isolates what the
LRS adds (validation, auth, storage) over the web stack itself.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request


def create_baseline_app() -> Flask:
    """A Flask app with ``POST /xapi/statements`` that parses JSON and answers ``[]``."""
    app = Flask(__name__)

    @app.post("/xapi/statements")
    def parse_only() -> Response:
        body = json.loads(request.get_data())
        count = len(body) if isinstance(body, list) else 1
        return Response(json.dumps([count]), content_type="application/json")

    @app.get("/xapi/about")
    def about() -> Response:
        return Response("{}", content_type="application/json")

    return app
