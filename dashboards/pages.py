"""The dashboards blueprint (``/dashboards/``): filters → queries → figures → HTML.

Mount with :func:`init_app` and a :class:`~dashboards.access.Hooks` (the web edge supplies the
signed-in viewer, the audit callback and the CSRF token). Pages never run inline scripts:
figures travel as JSON in ``<script type="application/json">`` blocks, drawn by
``static/dashboards.js`` with plotly.js served from the installed ``plotly`` package.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
)
from markupsafe import Markup

from dashboards.access import Hooks, OutOfScope, Viewer
from dashboards.data import NoData, NotFound, Reader
from dashboards.filters import FilterError, Filters, parse_metric
from dashboards.freshness import Freshness, freshness
from dashboards.queries.common import in_scope, scope_where
from dashboards.viewer_label import ViewerLabel, viewer_label

# The views (Polars, NumPy, SciPy, Plotly) are imported by the routes that use them, on their
# first request: a worker that only serves xAPI never loads them.
if TYPE_CHECKING:
    from dashboards.page import Page

LOG = logging.getLogger(__name__)
bp = Blueprint(
    "dashboards",
    __name__,
    url_prefix="/dashboards",
    template_folder="templates",
    static_folder="static",
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
NAV = (
    ("dashboards.overview", "Overview"),
    ("dashboards.heatmap", "Readiness heatmap"),
    ("dashboards.expiry", "Expiry & clearance"),
    ("dashboards.protocols", "Protocol changes"),
    ("dashboards.content", "Content quality"),
    ("dashboards.safety", "Safety linkage"),
    ("dashboards.alerts", "Alerts"),
)
PUBLIC = {"dashboards.static", "dashboards.plotly_js"}


def init_app(app: Flask, hooks: Hooks) -> None:
    """Register the blueprint on ``app`` with its hooks."""
    from dashboards import alerts_page  # noqa: F401  (its routes join the blueprint)

    app.extensions["dashboards"] = hooks
    app.register_blueprint(bp)


def hooks() -> Hooks:
    """The hooks of the current app."""
    found: Hooks = current_app.extensions["dashboards"]
    return found


def secure_headers(resp: Response) -> Response:
    """Strict CSP, no sniffing, no caching of data pages, no framing."""
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["X-Frame-Options"] = "DENY"
    if request.endpoint not in PUBLIC:
        resp.headers["Cache-Control"] = "no-store"
    return resp


bp.after_request(secure_headers)


@bp.before_request
def _gate() -> Any:
    g.dash_started = time.perf_counter()
    if request.endpoint in PUBLIC:
        return None
    viewer = hooks().viewer()
    if viewer is None:
        return redirect(f"{hooks().sign_in_url}?next={request.full_path.rstrip('?')}")
    if not viewer.can_read:
        text = (
            "Your account has no role or no unit; ask an administrator for access."
            if viewer.access is not None
            else "Your credential has no analytics scope (analytics/read or analytics/staff)."
        )
        return _message("Not allowed", text, 403, viewer)
    g.dash_viewer = viewer
    return None


def _figure_json(fig: Any) -> Markup:
    text = fig.to_json(validate=False)
    safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(safe)  # JSON with <, >, & escaped; never executed


def _options(r: Reader, viewer: Viewer) -> dict[str, list[str]]:
    """The filter pickers' choices, and (for a unit-scoped viewer) the names of their units."""
    where, params = scope_where(viewer.scope)
    rows = (
        r.rows(f"SELECT site, service_line, name FROM departments d WHERE {where}", params)
        if r.has("departments")
        else []
    )
    return {
        "sites": sorted({str(s) for s, _, _ in rows if s}),
        "service_lines": sorted({str(s) for _, s, _ in rows if s}),
        "units": [] if viewer.scope.all else sorted({str(n) for _, _, n in rows if n}),
    }


def _message(title: str, text: str, status: int, viewer: Viewer | None = None) -> Response:
    html = render_template(
        "dashboards/message.html",
        title=title,
        text=text,
        error=status >= 400,
        viewer=viewer,
        **_chrome(Filters(), {}, False),
    )
    return Response(html, status=status, mimetype="text/html")


def _chrome(f: Filters, options: dict[str, list[str]], demo: bool) -> dict[str, Any]:
    h = hooks()
    return {
        "filters": f,
        "options": options,
        "demo": demo,
        "nav": NAV,
        "csrf_token": h.csrf_token(),
        "sign_out_url": h.sign_out_url,
        "query": f.query(),
        "endpoint": request.endpoint,
        "freshness": _freshness(h),
        "viewer_label": _viewer_label,
    }


def _viewer_label(viewer: Viewer) -> ViewerLabel:
    """The header's roles and unit names (codes when the warehouse cannot be read)."""
    try:
        return viewer_label(viewer, hooks().source.reader)
    except Exception:  # the header must never break a page
        LOG.exception("could not name the viewer's units")
        return viewer_label(viewer)


def _freshness(h: Hooks) -> Freshness | None:
    try:
        return freshness(h.scheduler())
    except Exception:  # the header line must never break a page
        LOG.exception("could not read the scheduler status")
        return None


def _render(build: Callable[[Reader, Filters, Viewer], Page], *, identity: bool = False) -> Any:
    viewer: Viewer = g.dash_viewer
    try:
        f = replace(Filters.parse(request.args), scope=viewer.scope)
    except FilterError as exc:
        return _message("Bad request", str(exc), 400, viewer)
    try:
        with hooks().source.reader(
            identity=identity and (viewer.can_staff or viewer.can_clearance)
        ) as r:
            page = build(r, f, viewer)
            options, demo = _options(r, viewer), r.has("demo_marker")
    except OutOfScope as exc:
        return _message("Not allowed", str(exc), 403, viewer)
    except NotFound as exc:
        return _message("Not found", exc.message, 404, viewer)
    except NoData as exc:
        return _message("No data yet", exc.message, 200, viewer)
    except FilterError as exc:
        return _message("Bad request", str(exc), 400, viewer)
    if page.audit is not None:
        hooks().audit(viewer, "dashboard.staff_view", page.audit)
    figures = {p.id: _figure_json(p.figure) for p in page.panels if p.figure is not None}
    html = render_template(
        "dashboards/page.html",
        page=page,
        figures=figures,
        viewer=viewer,
        **_chrome(f, options, demo),
    )
    resp = Response(html, mimetype="text/html")
    elapsed = (time.perf_counter() - g.dash_started) * 1000
    resp.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
    return resp


@bp.get("/")
def overview() -> Any:
    """Hospital compliance, readiness, flags, expiries, freshness and data quality."""
    from dashboards.views.readiness import overview_page

    h = hooks()
    return _render(lambda r, f, v: overview_page(r, f, h.now(), h.target_compliance))


@bp.get("/heatmap")
def heatmap() -> Any:
    """Department x competency heatmap (``metric=compliance|readiness``)."""
    from dashboards.views.readiness import heatmap_page

    h = hooks()

    def build(r: Reader, f: Filters, v: Viewer) -> Page:
        metric = parse_metric(request.args)
        target = h.target_compliance if metric == "compliance" else h.target_readiness
        return heatmap_page(r, f, metric, target)

    return _render(build)


@bp.get("/department/<department_id>")
def department(department_id: str) -> Any:
    """Drill-down of one department (staff rows for staff roles only, audited); 403 outside
    the viewer's scope."""
    from dashboards.views.readiness import department_page

    def build(r: Reader, f: Filters, v: Viewer) -> Page:
        if not in_scope(r, v.scope, department_id):
            raise OutOfScope("This department is outside the units you may see.")
        return department_page(r, f, department_id, v)

    return _render(build, identity=True)


@bp.get("/expiry")
def expiry() -> Any:
    """Expiry cliff and clearance for a regulated task (``task_id``)."""
    from dashboards.views.expiry import expiry_page

    task = request.args.get("task_id", "")
    return _render(lambda r, f, v: expiry_page(r, f, task, v), identity=True)


@bp.get("/protocols")
def protocols() -> Any:
    """Protocol-change burn-down (the retraining view: educators and admins among people)."""
    from dashboards.views.expiry import protocols_page

    if not g.dash_viewer.can_retraining:
        return _message(
            "Not allowed", "The retraining views need the educator role.", 403, g.dash_viewer
        )
    return _render(lambda r, f, v: protocols_page(r, f))


@bp.get("/content")
def content() -> Any:
    """Comprehension and content quality."""
    from dashboards.views.safety import content_page

    return _render(lambda r, f, v: content_page(r, hooks().activity_names))


@bp.get("/safety")
def safety() -> Any:
    """Safety linkage (association, not causation)."""
    from dashboards.views.safety import safety_page

    return _render(lambda r, f, v: safety_page(r, f))


@bp.get("/clearance.csv")
def clearance_csv() -> Any:
    """Who is cleared for ``task_id`` as CSV with evidence statement ids (staff scope, audited)."""
    from dashboards.queries import expiry as q_expiry

    viewer: Viewer = g.dash_viewer
    if not viewer.can_clearance:
        return _message(
            "Not allowed",
            "The clearance export needs the analytics/staff scope or an auditor role.",
            403,
            viewer,
        )
    try:
        f = replace(Filters.parse(request.args), scope=viewer.scope)
        with hooks().source.reader(identity=True) as r:
            cl = q_expiry.clearance(r, f, request.args.get("task_id", ""), with_rows=True)
    except FilterError as exc:
        return _message("Bad request", str(exc), 400, viewer)
    except NotFound as exc:
        return _message("Not found", exc.message, 404, viewer)
    except NoData as exc:
        return _message("No data yet", exc.message, 404, viewer)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["task_id", "as_of", "person", "department", "role", "cleared", "evidence_statement_ids"]
    )
    for row in cl.rows.iter_rows() if cl.rows is not None else []:
        writer.writerow([cl.task_id, cl.snapshot, *row])
    hooks().audit(
        viewer,
        "dashboard.staff_export",
        {"page": "clearance.csv", "task_id": cl.task_id, "as_of": str(cl.snapshot)},
    )
    name = f"clearance-{cl.task_id}-{cl.snapshot}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/vendor/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js from the installed ``plotly`` package (no CDN; works offline)."""
    path = resources.files("plotly").joinpath("package_data/plotly.min.js")
    return send_file(str(path), mimetype="text/javascript", max_age=86400, conditional=True)
