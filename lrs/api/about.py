"""The About resource: supported versions and extensions, no authentication."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

bp = Blueprint("about", __name__)

SUPPORTED = ["1.0.3", "2.0.0"]


@bp.get("/xapi/about")
def about() -> Response:
    """``{"version": [...], "extensions": {...}}``."""
    return jsonify(
        {
            "version": SUPPORTED,
            "extensions": {"https://readiness-lrs.local/xapi/extensions/product": "Readiness LRS"},
        }
    )
