"""The composition root: :func:`create_app` wires settings, store, hooks and blueprints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, redirect
from flask_cors import CORS

from config.settings import Settings
from lrs import bodylimit, errors, headers, limits, ops, security_headers
from lrs.alternate import AlternateSyntaxMiddleware
from lrs.api import about, activities, admin, agents, dashboard_auth, documents, statements
from lrs.api import analytics as analytics_api
from lrs.api.analytics.models import bp as analytics_models_bp
from lrs.api.forward_admin import bp as forward_admin_bp
from lrs.api.retraining import bp as retraining_bp
from lrs.cursor import CursorCodec
from lrs.extensions import Services, system_clock_us
from lrs.learning import LearnedCache
from lrs.openapi import bp as openapi_bp
from lrs.secretkey import load_secret_key
from lrs.sso import views as sso
from statements.store import open_store

EXPOSED_HEADERS = [
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
    "ETag",
    "Last-Modified",
    "Content-Type",
    "X-Request-ID",
]


def create_app(
    settings: Settings | None = None,
    *,
    store: Any = None,
    clock: Callable[[], int] | None = None,
) -> Flask:
    """Build the WSGI app. ``store`` and ``clock`` are injectable for tests."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)  # no public static route
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_body_bytes, settings.max_document_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    secret = load_secret_key(settings.secret_key, settings.data_dir)
    app.config["SECRET_KEY"] = secret

    def factory() -> Any:
        opened = store if store is not None else open_store(settings.resolved_store_url)
        opened.init()
        return opened

    svc = Services(settings=settings, store_factory=factory, clock=clock or system_clock_us)
    svc.cursor = CursorCodec(secret)
    svc.learned = LearnedCache()
    app.extensions["lrs"] = svc
    CORS(
        app,
        resources={r"/xapi/*": {"origins": list(settings.cors_origins)}},
        allow_headers="*",
        expose_headers=EXPOSED_HEADERS,
        methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"],
        supports_credentials=False,
        max_age=86400,
    )
    ops.register(app)
    bodylimit.register(app)
    headers.register(app)
    errors.register(app)
    limits.register(app)
    security_headers.register(app)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(about.bp)
    app.register_blueprint(statements.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(activities.bp)
    app.register_blueprint(agents.bp)
    app.register_blueprint(analytics_api.bp)
    app.register_blueprint(analytics_models_bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(forward_admin_bp)
    app.register_blueprint(retraining_bp)
    dashboard_auth.install(app)
    sso.install(app)  # OpenID Connect sign-in, when LRS_OIDC_ISSUER is set
    app.add_url_rule("/", "root", lambda: redirect("/dashboards/", code=302))
    app.wsgi_app = AlternateSyntaxMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
