"""``/dashboards/alerts``: subscribe to alerts and the weekly digest, and unsubscribe.

A signed-in viewer manages their own subscriptions (owner = their credential key). Forms are
CSRF-checked against the session token the web edge hands out (:attr:`Hooks.csrf_token`);
the subscriptions live in the store, reached through :attr:`Hooks.alerts_store` (dashboards
never import ``lrs``). Staff-level alerts are offered only to ``analytics/staff`` viewers; the
spec validation refuses them for anyone else too. Both changes are audited.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for

from dashboards.data import NoData
from dashboards.filters import Filters
from dashboards.pages import _chrome, _message, bp, hooks
from dashboards.queries.common import scope_where
from statements.alerts.model import KINDS, Subscription
from statements.alerts.spec import LISTS, new_subscription
from statements.errors import BadRequest

KIND_LABELS = {
    "flag_priority": "New PRIORITY flag",
    "flag_declining": "New DECLINING flag",
    "flag_low": "New LOW flag",
    "flag_escalated": "Flag escalated to PRIORITY",
    "update_behind": "Protocol update behind its burn-down",
    "harm_high": "Harm above expected",
    "time_to_red": "Forecast to turn red soon",
    "certification_cliff": "Certification cliff (many expiring in 30 days)",
    "step_failed": "Scheduled step failed",
    "step_overdue": "Scheduled step overdue",
}


#: ticked on the form: the flags and a broken schedule. The forecast and cliff kinds fire far
#: more often (hundreds in a demo half-year), so a leader opts into them.
DEFAULT_KINDS = (
    "flag_priority",
    "flag_declining",
    "flag_low",
    "flag_escalated",
    "step_failed",
    "step_overdue",
)


def _store() -> Any:
    opener = hooks().alerts_store
    if opener is None:
        return None
    return opener()


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    return bool(sent) and hmac.compare_digest(sent, hooks().csrf_token())


def _choices() -> dict[str, list[tuple[str, str]]]:
    """Departments (only those in the viewer's scope) and competencies for the form; ``demo``
    is non-empty when the warehouse holds the demo hospital (the page shows the banner)."""
    out: dict[str, list[tuple[str, str]]] = {"departments": [], "competencies": []}
    where, params = scope_where(g.dash_viewer.scope)
    try:
        with hooks().source.reader() as r:
            if r.has("departments"):
                out["departments"] = [
                    (str(a), str(b))
                    for a, b in r.rows(
                        f"SELECT department_id, name FROM departments d WHERE {where} ORDER BY 2",
                        params,
                    )
                ]
            if r.has("competencies"):
                out["competencies"] = [
                    (str(a), str(b))
                    for a, b in r.rows("SELECT competency_id, name FROM competencies ORDER BY 2")
                ]
            out["demo"] = [("demo", "demo")] if r.has("demo_marker") else []
    except NoData:
        pass
    return out


def _page(mine: list[Subscription], error: str = "", status: int = 200) -> Response:
    choices = _choices()
    html = render_template(
        "dashboards/alerts.html",
        title="Alerts",
        subs=mine,
        error=error,
        kinds=[(k, KIND_LABELS.get(k, k)) for k in KINDS],
        default_kinds=DEFAULT_KINDS,
        choices=choices,
        names={k: dict(v) for k, v in choices.items()},
        kind_labels=KIND_LABELS,
        viewer=g.dash_viewer,
        **_chrome(Filters(), {}, bool(choices.get("demo"))),
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/alerts")
def alerts() -> Any:
    """The viewer's subscriptions and the form to add one."""
    store = _store()
    if store is None:
        return _message("Not available", "Alerts are not configured here.", 404, g.dash_viewer)
    return _page(store.list_subscriptions(owner=g.dash_viewer.key))


def _pin_to_scope(spec: dict[str, Any]) -> str:
    """Keep a unit-scoped person's subscription inside their units; an error text or "".

    A person who sees every unit subscribes as they like. Anyone else names only departments
    in their scope, and a subscription that names none is pinned to the departments in scope
    now (alerts carry department-level evidence; a scoped person must not get other units').
    """
    scope = g.dash_viewer.scope
    if scope.all:
        return ""
    mine = {d for d, _ in _choices()["departments"]}
    asked = set(spec.get("departments", ()))
    if asked - mine:
        return "You can subscribe only to departments in your units."
    if not mine:
        return "No department is in your units yet, so there is nothing to subscribe to."
    spec["departments"] = sorted(asked or mine)
    return ""


def _spec() -> dict[str, Any]:
    form = request.form
    spec: dict[str, Any] = {
        "channel": form.get("channel", "email"),
        "target": form.get("target", "").strip(),
        "format": form.get("format") or "generic",
        "min_severity": form.get("min_severity") or "low",
        "immediate": form.get("immediate") == "on",
        "digest": form.get("digest") == "on",
        "staff_level": form.get("staff_level") == "on",
    }
    if form.get("secret"):
        spec["secret"] = form["secret"]
    for name in LISTS:
        values = [v for v in form.getlist(name) if v]
        if values:
            spec[name] = values
    return spec


@bp.post("/alerts")
def alerts_subscribe() -> Any:
    """Add a subscription for the signed-in viewer (CSRF-checked, audited)."""
    store, viewer = _store(), g.dash_viewer
    if store is None or not _csrf_ok():
        return _message("Bad request", "The form expired; please reload the page.", 400, viewer)
    spec = _spec()
    outside = _pin_to_scope(spec)
    if outside:
        return _page(store.list_subscriptions(owner=viewer.key), outside, 403)
    try:
        sub = new_subscription(
            spec,
            owner=viewer.key,
            now_us=int(hooks().now().timestamp() * 1e6),
            may_staff=viewer.can_staff,
        )
    except BadRequest as exc:
        err = exc.errors[0] if exc.errors else None
        text = f"{exc.message} (field {err.path}, rule {err.rule})" if err else exc.message
        return _page(store.list_subscriptions(owner=viewer.key), text, 400)
    store.add_subscription(sub)
    hooks().audit(viewer, "alerts.subscribe", {"id": sub.id, "channel": sub.channel})
    return redirect(url_for("dashboards.alerts"), code=303)


@bp.post("/alerts/<sub_id>/remove")
def alerts_remove(sub_id: str) -> Any:
    """Remove one of the viewer's own subscriptions (CSRF-checked, audited)."""
    store, viewer = _store(), g.dash_viewer
    if store is None or not _csrf_ok():
        return _message("Bad request", "The form expired; please reload the page.", 400, viewer)
    sub = store.get_subscription(sub_id)
    if sub is None or sub.owner != viewer.key:
        return _message("Not found", "No such subscription of yours.", 404, viewer)
    store.remove_subscription(sub_id)
    hooks().audit(viewer, "alerts.unsubscribe", {"id": sub_id})
    return redirect(url_for("dashboards.alerts"), code=303)
