"""``/dashboards/alerts``: subscribe and unsubscribe (own subscriptions, CSRF, staff scope)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lrs.extensions import services
from statements.alerts.store import alerts_store
from tests.dashboards.conftest import CSRF


def _token(client: FlaskClient) -> str:
    found = CSRF.search(client.get("/dashboards/alerts").get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _subs(app: Flask) -> list[Any]:
    return alerts_store(services(app).store).list_subscriptions()


def test_subscribe_and_unsubscribe(dash_app: Flask, reader_client: FlaskClient) -> None:
    page = reader_client.get("/dashboards/alerts")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "None yet." in text and 'name="staff_level"' not in text
    form = {
        "csrf_token": _token(reader_client),
        "channel": "email",
        "target": "lead@example.org",
        "departments": ["D1", "D3"],
        "kinds": ["flag_priority"],
        "immediate": "on",
        "digest": "on",
    }
    resp = reader_client.post("/dashboards/alerts", data=form)
    assert resp.status_code == 303
    (sub,) = _subs(dash_app)
    assert sub.departments == ("D1", "D3") and sub.kinds == ("flag_priority",)
    assert sub.immediate and sub.digest and not sub.staff_level
    listed = reader_client.get("/dashboards/alerts").get_data(as_text=True)
    assert "lead@example.org" in listed and "departments: Ward A, Ward C" in listed  # names
    assert "DEMO DATA" in listed  # the demo hospital is marked on every page, alerts too
    assert "New PRIORITY flag" in listed and "flag_priority" not in listed.split("<h2>Subscribe")[0]
    resp = reader_client.post(
        f"/dashboards/alerts/{sub.id}/remove", data={"csrf_token": _token(reader_client)}
    )
    assert resp.status_code == 303 and _subs(dash_app) == []


def test_bad_input_and_missing_csrf_are_400(dash_app: Flask, reader_client: FlaskClient) -> None:
    data = {"channel": "email", "target": "lead@example.org", "immediate": "on"}
    assert reader_client.post("/dashboards/alerts", data=data).status_code == 400
    resp = reader_client.post(
        "/dashboards/alerts",
        data={**data, "target": "nope", "csrf_token": _token(reader_client)},
    )
    assert resp.status_code == 400
    assert "field target, rule email" in resp.get_data(as_text=True)
    assert _subs(dash_app) == []


def test_staff_level_needs_the_staff_scope(
    dash_app: Flask, reader_client: FlaskClient, staff_client: FlaskClient
) -> None:
    data = {"target": "lead@example.org", "immediate": "on", "staff_level": "on"}
    resp = reader_client.post(
        "/dashboards/alerts", data={**data, "csrf_token": _token(reader_client)}
    )
    assert resp.status_code == 400 and "rule scope" in resp.get_data(as_text=True)
    assert 'name="staff_level"' in staff_client.get("/dashboards/alerts").get_data(as_text=True)
    resp = staff_client.post(
        "/dashboards/alerts", data={**data, "csrf_token": _token(staff_client)}
    )
    assert resp.status_code == 303 and _subs(dash_app)[0].staff_level


def test_only_the_owner_removes(
    dash_app: Flask, reader_client: FlaskClient, staff_client: FlaskClient
) -> None:
    data = {"target": "lead@example.org", "immediate": "on", "csrf_token": _token(staff_client)}
    assert staff_client.post("/dashboards/alerts", data=data).status_code == 303
    (sub,) = _subs(dash_app)
    assert sub.target not in reader_client.get("/dashboards/alerts").get_data(as_text=True)
    resp = reader_client.post(
        f"/dashboards/alerts/{sub.id}/remove", data={"csrf_token": _token(reader_client)}
    )
    assert resp.status_code == 404 and len(_subs(dash_app)) == 1


def test_the_form_ticks_the_flag_and_schedule_kinds_only(reader_client: FlaskClient) -> None:
    """The frequent forecast and cliff events are opt-in; flags and a broken schedule are not."""
    import re

    text = reader_client.get("/dashboards/alerts").get_data(as_text=True)
    ticked = set(re.findall(r'name="kinds" value="([a-z_]+)" checked', text))
    assert ticked == {
        "flag_priority",
        "flag_declining",
        "flag_low",
        "flag_escalated",
        "step_failed",
        "step_overdue",
    }
