"""Admin API, HTML page and /metrics for forwarding destinations."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lrs.extensions import services
from lrs.interop.forward import Forwarder, Policy
from statements.interop.store import interop_store
from tests.conftest import FakeClock
from tests.interop.target import post, statement

SPEC = {"name": "central", "url": "http://127.0.0.1:9/xapi/", "key": "k", "secret": "s3cret"}


def test_admin_adds_lists_retries_and_removes(
    client: FlaskClient, credential: Any, app: Flask, clock: FakeClock
) -> None:
    admin = credential("admin")
    post(services(app).store, [statement(0)], clock)
    resp = client.post("/admin/forward", json={**SPEC, "from_start": True}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["outbox_depth"] == 1 and "secret" not in resp.get_json()
    assert client.post("/admin/forward", json=SPEC, headers=admin).status_code == 409
    listed = client.get("/admin/forward", headers=admin).get_json()["destinations"]
    assert [d["name"] for d in listed] == ["central"]
    assert client.post("/admin/forward/central/retry", headers=admin).get_json()["queued"] == 0
    assert client.post("/admin/forward/nope/retry", headers=admin).status_code == 404
    page = client.get("/admin/forward/page", headers=admin)
    assert page.status_code == 200 and b"<td>central</td>" in page.data
    assert b"s3cret" not in page.data
    assert client.delete("/admin/forward/central", headers=admin).status_code == 204
    assert client.delete("/admin/forward/central", headers=admin).status_code == 404


def test_bad_destinations_are_400_naming_the_field(client: FlaskClient, credential: Any) -> None:
    admin = credential("admin")
    cases = {
        "url": {**SPEC, "url": "ftp://x"},
        "name": {**SPEC, "name": "a b"},
        "secret": {k: v for k, v in SPEC.items() if k != "secret"},
        "batch_size": {**SPEC, "batch_size": 0},
        "version": {**SPEC, "version": "0.9"},
        "authority": {**SPEC, "authority": {"name": "no ifi"}},
        "bogus": {**SPEC, "bogus": 1},
    }
    for field, body in cases.items():
        resp = client.post("/admin/forward", json=body, headers=admin)
        assert resp.status_code == 400, field
        assert resp.get_json()["errors"][0]["path"] == field
    assert client.post("/admin/forward", json=SPEC, headers=credential("all")).status_code == 403


def test_metrics_show_depth_lag_failures_and_dead_letters(
    client: FlaskClient, credential: Any, app: Flask, clock: FakeClock
) -> None:
    admin = credential("admin")
    store = services(app).store
    client.post("/admin/forward", json={**SPEC, "from_start": True}, headers=admin)
    post(store, [statement(n) for n in range(3)], clock)
    fwd = interop_store(store)
    forwarder = Forwarder(store, fwd, clock, Policy(max_attempts=1))
    forwarder.run_once()  # port 9 refuses: one failure, dead-lettered at once
    post(store, [statement(9)], clock)
    clock.advance(5)
    text = client.get("/metrics", headers=admin).get_data(as_text=True)
    assert 'lrs_forward_outbox_depth{destination="central"} 1.0' in text
    assert 'lrs_forward_dead_letters{destination="central"} 3.0' in text
    assert 'lrs_forward_failures_total{destination="central"} 1.0' in text
    assert 'lrs_forward_delivered_total{destination="central"} 0.0' in text
    lag = [x for x in text.splitlines() if x.startswith("lrs_forward_lag_seconds{")]
    assert lag and 4.9 < float(lag[0].split()[-1]) < 6
