"""The sign-in routes: ``/dashboards/oidc/start`` and ``/dashboards/oidc/callback``.

Every refusal (bad or replayed state, provider error, a token failing a check, a person in no
mapped group) renders a page that says what happened and is audited as
``people.sign_in_refused`` with the rule that failed; nothing about the token is echoed back.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request
from flask import session as flask_session

from dashboards.pages import secure_headers
from lrs.extensions import services
from lrs.people.session import (
    NoAccess,
    add_sign_in_button,
    refuse,
    register_sign_out_hook,
    start_session,
)
from lrs.sso.client import RelyingParty
from lrs.sso.http import ProviderError
from lrs.sso.mapping import access_for, claimed_groups
from lrs.sso.pending import TooManyPending
from lrs.sso.tokens import TokenRejected
from statements.people import Person, SessionRecord

bp = Blueprint("sso", __name__, url_prefix="/dashboards/oidc", template_folder="templates")
STATE_KEY = "oidc_state"
bp.after_request(secure_headers)  # the dashboards' CSP (their CSS/JS) and no-store
LOGOUT_KEY = "oidc_logout"
CALLBACK = "/dashboards/oidc/callback"
SIGNED_OUT = "/dashboards/sign-in"


def _rp() -> RelyingParty:
    rp: RelyingParty = current_app.extensions["lrs_sso"]
    return rp


def _base_url() -> str:
    configured = _rp().settings.oidc_redirect_url
    if configured:
        parts = urllib.parse.urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}"
    return request.host_url.rstrip("/")


def redirect_uri() -> str:
    """The callback URL registered at the provider."""
    return _rp().settings.oidc_redirect_url or _base_url() + CALLBACK


def _safe_next(raw: str) -> str:
    if raw.startswith("/dashboards/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/dashboards/"


def _page(status: int, title: str, text: str) -> Response:
    html = render_template(
        "dashboards/message.html",
        title=title,
        text=text,
        error=status >= 400,
        viewer=None,
        nav=(),
        demo=False,
        query="",
    )
    return Response(html, status=status, mimetype="text/html")


def _refused(status: int, rule: str, text: str, who: str = "anonymous") -> Response:
    refuse(f"oidc: {rule}", who=who, method="oidc")
    return _page(status, "Single sign-on refused", text)


@bp.get("/start")
def start() -> Any:
    """Send the browser to the provider's sign-in page (state, nonce, PKCE S256)."""
    try:
        state, url = _rp().begin(
            redirect_uri(), _safe_next(request.args.get("next", "")), services().clock()
        )
    except TooManyPending:
        return _page(
            503,
            "Single sign-on busy",
            "Too many sign-ins are under way; try again in a few minutes.",
        )
    except ProviderError as exc:
        current_app.logger.warning("oidc discovery failed: %s", exc)
        return _page(
            502,
            "Single sign-on unavailable",
            "The sign-in provider could not be "
            "reached. Try again in a minute, or ask your administrator.",
        )
    flask_session[STATE_KEY] = state
    return redirect(url, code=303)


@bp.get("/callback")
def callback() -> Any:
    """The provider's answer: check state, redeem the code, validate the ID token, map groups."""
    rp = _rp()
    state = request.args.get("state", "")
    bound = flask_session.pop(STATE_KEY, None)
    pending = rp.pending.take(state, services().clock()) if state else None
    if pending is None:
        return _refused(
            400,
            "state",
            "This sign-in link was already used or has expired. "
            "Please start again from the sign-in page.",
        )
    if bound != state:
        return _refused(
            400,
            "state-binding",
            "This sign-in was started in another browser "
            "window or session. Please start again from the sign-in page.",
        )
    if request.args.get("error"):
        return _refused(
            403,
            f"provider-error {request.args['error'][:64]}",
            f"The sign-in provider did not sign you in ({request.args['error'][:64]}).",
        )
    if request.args.get("iss") not in (None, rp.issuer):  # RFC 9207 mix-up defence
        return _refused(400, "iss-parameter", "The answer came from an unexpected provider.")
    code = request.args.get("code", "")
    if not code:
        return _refused(400, "code", "The provider's answer had no authorization code.")
    try:
        raw = rp.exchange(code, pending.verifier, redirect_uri())["id_token"]
        claims = rp.verify(raw, pending.nonce)
    except TokenRejected as exc:
        return _refused(
            403,
            f"id_token {exc.rule}",
            "The sign-in could not be verified "
            f"(ID token check failed: {exc.rule}). Please start again.",
        )
    except ProviderError as exc:
        current_app.logger.warning("oidc token exchange failed: %s", exc)
        return _refused(
            502,
            "token-exchange",
            "The sign-in provider did not complete the sign-in. Please start again.",
        )
    return _sign_in(rp, raw, claims, pending.next_url)


def _sign_in(rp: RelyingParty, raw: str, claims: dict[str, Any], next_url: str) -> Any:
    groups = claimed_groups(claims, rp.settings.oidc_groups_claim)
    access = access_for(groups, rp.group_map)
    email = str(claims.get("email") or "")
    name = str(claims.get("name") or claims.get("preferred_username") or email or claims["sub"])
    who = email or f"oidc:{claims['sub']}"
    refusal = (
        f"You signed in as {name}, but none of your groups gives access to the readiness "
        "dashboards. Ask your administrator to add you to a group mapped in "
        "LRS_OIDC_GROUP_MAP."
    )
    if not access.roles:
        return _refused(403, "no mapped group", refusal, who=who)
    person = Person(id=f"oidc:{claims['sub']}", display_name=name, email=email, access=access)
    extra = {"id_token": raw, "sid": claims.get("sid"), "issuer": rp.issuer, "groups": list(groups)}
    try:
        start_session(person, method="oidc", extra=extra)
    except NoAccess:
        return _refused(403, "no access", refusal, who=who)
    return redirect(next_url, code=303)


def _end_provider_session(record: SessionRecord) -> str | None:
    """Sign-out hook: RP-initiated logout for OIDC sessions when the provider supports it.

    The sign-out form may only post to this site (CSP ``form-action 'self'``, which browsers
    apply to every redirect of the submission), so the provider's logout URL waits in the
    cookie for :func:`signed_out`, a page of ours that then navigates there.
    """
    if record.method != "oidc" or not isinstance(record.extra.get("id_token"), str):
        return None
    url = _rp().end_session_url(record.extra["id_token"], _base_url() + SIGNED_OUT)
    if url is None:
        return None
    flask_session[LOGOUT_KEY] = url
    return "/dashboards/oidc/signed-out"


@bp.get("/signed-out")
def signed_out() -> Any:
    """After our sign-out: go on to end the provider session (meta refresh + a link)."""
    url = flask_session.pop(LOGOUT_KEY, None)
    if not isinstance(url, str):
        return redirect(SIGNED_OUT, code=303)
    name = _rp().settings.oidc_provider_name
    html = render_template(
        "sso/signed_out.html", url=url, name=name, viewer=None, nav=(), demo=False, query=""
    )
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.before_request
def _configured() -> Response | None:
    if "lrs_sso" not in current_app.extensions:
        return _page(404, "Single sign-on is off", "This site has no LRS_OIDC_ISSUER set.")
    return None


def install(app: Flask) -> None:
    """Mount the routes; with ``LRS_OIDC_ISSUER`` set, also the relying party and the button.

    Without an issuer the two routes answer 404 (they stay mounted so the route inventory
    in tests/security sees them either way).
    """
    app.register_blueprint(bp)
    settings = services(app).settings
    if not settings.oidc_issuer:
        return
    app.extensions["lrs_sso"] = RelyingParty(settings)
    add_sign_in_button(app, settings.oidc_provider_name, "/dashboards/oidc/start")
    register_sign_out_hook(app, _end_provider_session)
