"""Unit scoping: a person scoped to one department walks every dashboard and analytics route.

Every route of the app is visited (the inventory of :mod:`tests.security.test_route_authz`)
with the signed-in person's session cookie, on both store backends. A route that admits people
must answer only with the person's department (ids and names of the planted warehouse), or 403
when the URL names another unit; every other route must refuse the session (401/403 or the
sign-in redirect). The same walk by an all-units person sees the other departments, so the
check can fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from statements.people import Scope
from tests.dashboards.fixture_warehouse import Fixture, build
from tests.security.people_helpers import add_person, people_app, sign_in
from tests.security.test_route_authz import PUBLIC

MINE = "D2"
NAMES = {f"D{i}": f"Ward {chr(64 + i)}" for i in range(1, 7)}  # D1 → Ward A …
ARGS = {
    "kind": "staff",
    "department_id": MINE,
    "filename": "x.css",
    "name": "dest1",
    "sub_id": "s1",
}
# query strings that reach the staff rows, clearance lists and per-department filters
EXTRA = [
    "/dashboards/expiry?task_id=T2",
    "/dashboards/clearance.csv?task_id=T2",
    "/dashboards/heatmap?metric=readiness",
    "/analytics/cleared?task=T2",
    f"/analytics/flags?department_id={MINE}",
    f"/analytics/compliance?department_id={MINE}",
]
OTHER_UNIT = [
    "/dashboards/department/D1",
    "/dashboards/department/D5",
    "/dashboards/department/nope",
    "/analytics/flags?department_id=D1",
    "/analytics/compliance?department_id=D3",
]
REFUSED = {401, 403}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("people-wh") / "warehouse.duckdb")


@pytest.fixture
def scoped_app(store: Any, clock: Any, tmp_path: Path, warehouse: Fixture) -> Iterator[Flask]:
    yield people_app(store, clock, tmp_path, warehouse.path)


def _paths(app: Flask) -> Iterator[tuple[str, str, Any]]:
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: ARGS[m.group(1)], rule.rule)
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) not in PUBLIC:
                yield method, path, app.view_functions[rule.endpoint]


def _admits_people(path: str, view: Any) -> bool:
    return path.startswith("/dashboards/") or bool(getattr(view, "admits_people", False))


def departments_seen(text: str) -> set[str]:
    """Department ids and names (as ids) of the planted warehouse in ``text``."""
    seen = set(re.findall(r"\bD[1-6]\b", text))
    seen |= {d for d, name in NAMES.items() if re.search(rf"\b{name}\b", text)}
    return seen


def walk(app: Flask, email: str) -> tuple[list[str], set[str]]:
    """(problems, every department seen) for a signed-in person walking every route."""
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    problems: list[str] = []
    seen: set[str] = set()
    visits = [(m, p, v) for m, p, v in _paths(app)] + [("GET", p, None) for p in EXTRA]
    for method, path, view in visits:
        resp = client.open(path, method=method)
        text = resp.get_data(as_text=True)
        people_route = view is None or _admits_people(path, view)
        if not people_route or method != "GET":
            if resp.status_code not in REFUSED | {400} and not path.startswith("/dashboards/"):
                problems.append(f"{method} {path}: a session reached it ({resp.status_code})")
            continue
        if resp.status_code >= 500:
            problems.append(f"{method} {path}: {resp.status_code}")
        seen |= departments_seen(text)
        problems += [f"{method} {path}: shows {d}" for d in departments_seen(text) - {MINE}]
    return problems, seen


def test_a_unit_manager_sees_only_their_department_everywhere(scoped_app: Flask) -> None:
    add_person(
        scoped_app,
        "manager@example.org",
        ("staff", "educator", "auditor"),
        Scope(departments=(MINE,)),
    )
    problems, seen = walk(scoped_app, "manager@example.org")
    assert problems == []
    assert seen == {MINE}  # their own unit does appear (the walk reads real pages)


def test_another_units_url_is_403(scoped_app: Flask) -> None:
    add_person(scoped_app, "m@example.org", ("staff",), Scope(departments=(MINE,)))
    client = scoped_app.test_client()
    assert sign_in(client, "m@example.org").status_code == 303
    for path in OTHER_UNIT:
        resp = client.get(path)
        assert resp.status_code == 403, (path, resp.status_code)
        assert departments_seen(resp.get_data(as_text=True)) <= {MINE}, path
    assert client.get(f"/dashboards/department/{MINE}").status_code == 200


def test_a_site_scope_sees_that_sites_departments(scoped_app: Flask) -> None:
    add_person(scoped_app, "site@example.org", ("viewer",), Scope(sites=("South",)))
    client = scoped_app.test_client()
    assert sign_in(client, "site@example.org").status_code == 303
    html = client.get("/dashboards/heatmap").get_data(as_text=True)
    assert departments_seen(html) == {"D3", "D4"}  # the planted South site
    body = client.get("/analytics/readiness").get_json()
    assert {r["department_id"] for r in body["readiness"]} == {"D3", "D4"}


def test_the_walk_sees_other_units_for_an_all_units_person(scoped_app: Flask) -> None:
    add_person(scoped_app, "director@example.org", ("staff", "educator"), Scope(all=True))
    problems, seen = walk(scoped_app, "director@example.org")
    assert len(seen) == 6 and problems  # the checker does see other departments


def test_a_viewer_gets_aggregates_without_staff_rows(scoped_app: Flask) -> None:
    add_person(scoped_app, "v@example.org", ("viewer",), Scope(departments=(MINE,)))
    client = scoped_app.test_client()
    assert sign_in(client, "v@example.org").status_code == 303
    assert client.get("/dashboards/clearance.csv?task_id=T2").status_code == 403
    assert client.get("/dashboards/protocols").status_code == 403  # retraining: educators
    body = client.get("/analytics/compliance").get_json()
    assert "staff" not in body and {r["department_id"] for r in body["departments"]} == {MINE}


def test_small_cells_stay_suppressed_for_a_scoped_viewer(scoped_app: Flask) -> None:
    add_person(scoped_app, "sc@example.org", ("viewer",), Scope(departments=(MINE,)))
    client = scoped_app.test_client()
    assert sign_in(client, "sc@example.org").status_code == 303
    rates = client.get("/analytics/incidents").get_json()["incident_rates"]
    assert rates and {r["department_id"] for r in rates} == {MINE}
    counts = [r[c] for r in rates for c in ("harm_events", "near_misses")]
    assert all(n is None or n == 0 or n >= 11 for n in counts)
    assert any(n is None for n in counts)  # the planted small counts were there, and hidden


def test_scoped_pages_say_which_units_and_drop_one_choice_pickers(scoped_app: Flask) -> None:
    """A one-department person is told their unit; no "All sites" picker offers one choice."""
    add_person(scoped_app, "one@example.org", ("viewer",), Scope(departments=(MINE,)))
    add_person(scoped_app, "all@example.org", ("viewer",), Scope(all=True))
    client = scoped_app.test_client()
    assert sign_in(client, "one@example.org").status_code == 303
    for path in ("/dashboards/", "/dashboards/heatmap", f"/dashboards/department/{MINE}"):
        html = client.get(path).get_data(as_text=True)
        assert f"<strong>Your units:</strong> {NAMES[MINE]}</p>" in html, path
        assert 'id="f-site"' not in html and "All sites" not in html, path
    refused = client.get("/dashboards/department/D1").get_data(as_text=True)
    assert 'class="message error"' in refused
    everyone = scoped_app.test_client()
    assert sign_in(everyone, "all@example.org").status_code == 303
    html = everyone.get("/dashboards/heatmap").get_data(as_text=True)
    assert "Your units:" not in html and "All sites" in html  # the whole hospital: pickers stay


def test_alert_subscriptions_stay_inside_the_persons_units(scoped_app: Flask) -> None:
    """A unit manager cannot subscribe to another unit's alerts; a subscription naming no
    department is pinned to theirs (alerts carry department-level evidence)."""
    from statements.alerts.store import alerts_store
    from tests.security.people_helpers import csrf

    add_person(scoped_app, "m@example.org", ("viewer",), Scope(departments=(MINE,)))
    client = scoped_app.test_client()
    assert sign_in(client, "m@example.org").status_code == 303
    form = {"channel": "email", "target": "m@example.org", "immediate": "on"}
    other = client.post(
        "/dashboards/alerts",
        data={**form, "departments": "D1", "csrf_token": csrf(client, "/dashboards/alerts")},
    )
    assert other.status_code == 403
    mine = client.post(
        "/dashboards/alerts", data={**form, "csrf_token": csrf(client, "/dashboards/alerts")}
    )
    assert mine.status_code == 303
    with scoped_app.app_context():
        from lrs.extensions import services

        subs = alerts_store(services(scoped_app).store).list_subscriptions()
    assert [s.departments for s in subs] == [(MINE,)]
