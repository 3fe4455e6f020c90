"""Model endpoints on a fresh LRS: clear JSON errors, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient


def test_recompute_without_inputs_is_409(
    client: FlaskClient, credential: Callable[..., dict[str, str]]
) -> None:
    admin = credential("admin")
    resp = client.post("/analytics/models?as_of=2025-06-30", headers=admin)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["status"] == 409 and body["error"]


def test_reads_without_a_model_run_are_409(
    client: FlaskClient, credential: Callable[..., dict[str, str]]
) -> None:
    reader = credential("analytics/read")
    for path in ("/analytics/flags", "/analytics/compliance", "/analytics/cleared?task=t"):
        resp = client.get(path, headers=reader)
        assert resp.status_code in (404, 409), (path, resp.status_code)
        assert resp.get_json()["status"] == resp.status_code


def test_recompute_on_an_empty_built_warehouse_never_500s(
    client: FlaskClient, credential: Callable[..., dict[str, str]]
) -> None:
    admin = credential("admin")
    assert client.post("/analytics/refresh", headers=admin).status_code == 200
    resp = client.post("/analytics/models?as_of=2025-06-30", headers=admin)
    assert resp.status_code in (200, 409), resp.get_json()
    assert resp.get_json() is not None
