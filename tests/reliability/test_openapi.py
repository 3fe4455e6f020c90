"""The OpenAPI document served at /openapi.json is true to the app's routes, both ways."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.openapi import document

IGNORED_METHODS = {"HEAD", "OPTIONS"}
IGNORED_ENDPOINTS = {"static"}
# HTML pages for browsers, not part of the HTTP API; still being built by the dashboards engineer.
IGNORED_PREFIXES = ("/dashboards",)
# "/" only redirects a browser to the dashboards.
IGNORED_PATHS = {"/"}


def routes(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, lower-case method) for every route of ``app``."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[-1] in IGNORED_ENDPOINTS:
            continue
        if rule.rule.startswith(IGNORED_PREFIXES) or rule.rule in IGNORED_PATHS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in set(rule.methods or ()) - IGNORED_METHODS:
            out.add((path, method.lower()))
    return out


def documented(doc: dict[str, object]) -> set[tuple[str, str]]:
    paths = doc["paths"]
    assert isinstance(paths, dict)
    return {(path, method) for path, ops in paths.items() for method in ops}


def test_every_route_documented_and_every_operation_routed(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key="t"))
    actual, doc = routes(app), documented(document())
    assert actual - doc == set(), "routes missing from the OpenAPI document"
    assert doc - actual == set(), "documented operations with no route"


def test_served_document_is_openapi_31_and_validates(client: FlaskClient) -> None:
    import schemathesis

    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    served = resp.get_json()
    assert served["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(served).validate()  # the OpenAPI 3.1 meta-schema
    for path, ops in served["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (path, method)
            xapi = path.startswith("/xapi/") and path != "/xapi/about"
            names = {p["name"] for p in op["parameters"]}
            assert ("X-Experience-API-Version" in names) == xapi, (path, method)


def test_route_comparison_catches_an_undocumented_route(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key="t"))
    app.add_url_rule("/xapi/extra/<item_id>", "extra", lambda item_id: "", methods=["PATCH"])
    assert ("/xapi/extra/{item_id}", "patch") in routes(app) - documented(document())
