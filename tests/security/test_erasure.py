"""The right to be forgotten, on every backend: after an erasure nothing of the agent is queryable.

The agent appears as actor, instructor, object, SubStatement actor, Group member and by the
SHA-1 of its mailbox; other people's statements that refer to its statements (a StatementRef,
a voiding statement) go too; unrelated statements, shared attachments and other people's
documents stay. Checked through the xAPI, the Agents resource, documents, attachments and the
warehouse's SQL (identity map included).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from tests.conftest import FakeClock
from tests.factories import make_activity, make_agent, make_statement
from tests.lrs.test_attachments_api import BOUNDARY, body

VICTIM_MBOX = "mailto:victim@example.org"
VICTIM = make_agent(name="Vic Tim", mbox=VICTIM_MBOX)
OTHER = make_agent(name="Olga", mbox="mailto:olga@example.org")
SHA1 = hashlib.sha1(VICTIM_MBOX.encode()).hexdigest()
CTYPE = f'multipart/mixed; boundary="{BOUNDARY}"'
ONLY = b"victim's certificate"
SHARED = b"shared protocol"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def attachment(content: bytes) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "file"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


@pytest.fixture
def erasing_app(store: Any, clock: FakeClock, tmp_path: Path) -> Flask:
    settings = Settings(data_dir=tmp_path, secret_key="t", allow_erasure=True)
    return create_app(settings, store=store, clock=clock)


def admin_headers(app: Flask, clock: FakeClock) -> dict[str, str]:
    scopes = ["all", "admin", "analytics/staff"]
    cred, _secret = new_credential("admin", scopes, clock(), key="adm", secret="adm-secret")
    services(app).store.add_credential(cred)
    import base64

    token = base64.b64encode(b"adm:adm-secret").decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def post(client: FlaskClient, headers: dict[str, str], statement: dict[str, Any]) -> str:
    statement.setdefault("id", str(uuid.uuid4()))
    resp = client.post("/xapi/statements", json=statement, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return str(statement["id"])


def plant(client: FlaskClient, h: dict[str, str]) -> tuple[list[str], list[str]]:
    """Statements to be erased and statements to be kept (ids)."""
    own_id = str(uuid.uuid4())
    raw = body(
        make_statement(id=own_id, actor=VICTIM, attachments=[attachment(ONLY), attachment(SHARED)]),
        ("text/plain", ONLY),
        ("text/plain", SHARED),
    )
    resp = client.post("/xapi/statements", data=raw, headers={**h, "Content-Type": CTYPE})
    assert resp.status_code == 200, resp.get_json()
    sub = {"objectType": "SubStatement", **make_statement(actor=VICTIM)}
    team = {"objectType": "Group", "name": "Ward 3", "member": [OTHER, VICTIM]}
    erased = [
        own_id,
        post(client, h, make_statement(actor=OTHER, context={"instructor": VICTIM})),
        post(client, h, make_statement(actor=OTHER, object=dict(VICTIM))),
        post(client, h, make_statement(actor=OTHER, object=sub)),
        post(client, h, make_statement(actor=team)),
        post(client, h, make_statement(actor={"objectType": "Agent", "mbox_sha1sum": SHA1})),
        post(
            client,
            h,
            make_statement(actor=OTHER, object={"objectType": "StatementRef", "id": own_id}),
        ),
    ]
    voiding = make_statement(
        actor=OTHER,
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": erased[1]},
    )
    erased.append(post(client, h, voiding))
    kept_raw = body(
        make_statement(id=str(uuid.uuid4()), actor=OTHER, attachments=[attachment(SHARED)]),
        ("text/plain", SHARED),
    )
    kept_resp = client.post("/xapi/statements", data=kept_raw, headers={**h, "Content-Type": CTYPE})
    assert kept_resp.status_code == 200
    kept = [
        kept_resp.get_json()[0],
        post(client, h, make_statement(actor=OTHER, object=make_activity())),
    ]
    return erased, kept


def plant_documents(client: FlaskClient, h: dict[str, str]) -> None:
    activity = "http://example.org/activities/course-1"
    for agent in (VICTIM, OTHER):
        params = {"activityId": activity, "agent": json.dumps(agent), "stateId": "bookmark"}
        assert (
            client.put(
                "/xapi/activities/state", query_string=params, data=b"p3", headers=h
            ).status_code
            == 204
        )
        prof = {"agent": json.dumps(agent), "profileId": "prefs"}
        assert (
            client.put(
                "/xapi/agents/profile",
                query_string=prof,
                data=b"{}",
                headers={**h, "Content-Type": "application/json", "If-None-Match": "*"},
            ).status_code
            == 204
        )


def sql(client: FlaskClient, h: dict[str, str], text: str, identity: bool = False) -> Any:
    resp = client.post("/analytics/sql", json={"sql": text, "identity": identity}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["rows"]


def test_erasure_leaves_nothing_of_the_agent(erasing_app: Flask, clock: FakeClock) -> None:
    client = erasing_app.test_client()
    h = admin_headers(erasing_app, clock)
    erased, kept = plant(client, h)
    plant_documents(client, h)
    assert client.post("/analytics/refresh", headers=h).status_code == 200
    assert sql(client, h, "SELECT count(*) AS n FROM statements_all")[0]["n"] == len(erased) + 2

    resp = client.post("/admin/erase", json={"agent": {"mbox": VICTIM_MBOX}}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    counts = resp.get_json()["counts"]
    assert counts["statements"] == len(erased)
    assert counts["attachments"] == 1  # the shared one stays with the kept statement
    assert counts["documents"] == 2 and counts["agents"] == 2  # mbox and its SHA-1
    assert counts["warehouse_rows"] == len(erased) and counts["identity_rows"] >= 1

    victim = json.dumps(VICTIM)
    for params in ({"agent": victim}, {"agent": victim, "related_agents": "true"}):
        got = client.get("/xapi/statements", query_string=params, headers=h).get_json()
        assert got["statements"] == []
    for sid in erased:
        for param in ("statementId", "voidedStatementId"):
            assert client.get(f"/xapi/statements?{param}={sid}", headers=h).status_code == 404
    listed = client.get("/xapi/statements?limit=0", headers=h).get_json()["statements"]
    assert sorted(s["id"] for s in listed) == sorted(kept)
    assert "victim" not in json.dumps(listed).lower()

    person = client.get(
        "/xapi/agents", query_string={"agent": json.dumps({"mbox": VICTIM_MBOX})}, headers=h
    ).get_json()
    assert "name" not in person
    activity = "http://example.org/activities/course-1"
    state = {"activityId": activity, "agent": victim, "stateId": "bookmark"}
    assert client.get("/xapi/activities/state", query_string=state, headers=h).status_code == 404
    prof = {"agent": victim, "profileId": "prefs"}
    assert client.get("/xapi/agents/profile", query_string=prof, headers=h).status_code == 404
    assert (
        client.get("/xapi/agents/profile", query_string={"agent": victim}, headers=h).get_json()
        == []
    )
    olga = {**state, "agent": json.dumps(OTHER)}
    assert client.get("/xapi/activities/state", query_string=olga, headers=h).status_code == 200

    store = services(erasing_app).store
    assert store.get_attachments([hashlib.sha256(ONLY).hexdigest()]) == {}
    assert store.get_attachments([hashlib.sha256(SHARED).hexdigest()]) != {}

    ids = ", ".join(f"'{i}'" for i in erased)
    assert (
        sql(client, h, f"SELECT count(*) AS n FROM statements_all WHERE statement_id IN ({ids})")[
            0
        ]["n"]
        == 0
    )
    assert sql(client, h, "SELECT count(*) AS n FROM statements_all")[0]["n"] == 2
    ifis = sql(client, h, "SELECT ifi FROM identity.actor_ifi", identity=True)
    assert all("victim" not in row["ifi"] and SHA1 not in row["ifi"] for row in ifis)
    assert client.post("/analytics/refresh?full=true", headers=h).status_code == 200
    assert sql(client, h, "SELECT count(*) AS n FROM statements_all")[0]["n"] == 2

    [entry] = [e for e in store.list_audit() if e.action == "erasure"]
    assert entry.actor == "adm" and entry.detail["counts"] == counts
    assert "victim" not in json.dumps(entry.detail)  # pseudonyms only
    again = client.post("/admin/erase", json={"agent": {"mbox": VICTIM_MBOX}}, headers=h)
    assert again.get_json()["counts"]["statements"] == 0  # idempotent


def test_erasure_is_off_by_default(app: Flask, clock: FakeClock) -> None:
    client = app.test_client()
    h = admin_headers(app, clock)
    post(client, h, make_statement(actor=VICTIM))
    resp = client.post("/admin/erase", json={"agent": {"mbox": VICTIM_MBOX}}, headers=h)
    assert resp.status_code == 403 and "LRS_ALLOW_ERASURE" in resp.get_json()["error"]
    got = client.get("/xapi/statements", query_string={"agent": json.dumps(VICTIM)}, headers=h)
    assert len(got.get_json()["statements"]) == 1


def test_erasure_needs_an_identified_agent(erasing_app: Flask, clock: FakeClock) -> None:
    client = erasing_app.test_client()
    h = admin_headers(erasing_app, clock)
    for bad in ({"agent": {"name": "no ifi"}}, {"agent": "x"}, {"who": {}}, []):
        resp = client.post("/admin/erase", json=bad, headers=h)
        assert resp.status_code == 400, bad
        assert resp.get_json()["errors"][0]["path"] in {"agent", "$"}


def test_cli_erase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lrs.cli import main
    from statements.store import open_store

    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LRS_STORE_URL", raising=False)
    runner = CliRunner()
    agent = json.dumps({"mbox": VICTIM_MBOX})
    refused = runner.invoke(main, ["erase", "--agent", agent, "--yes"])
    assert refused.exit_code != 0 and "LRS_ALLOW_ERASURE" in refused.output
    store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
    store.init()
    store.record_agents([VICTIM])
    monkeypatch.setenv("LRS_ALLOW_ERASURE", "true")
    assert runner.invoke(main, ["erase", "--agent", "{}", "--yes"]).exit_code != 0
    aborted = runner.invoke(main, ["erase", "--agent", agent], input="n\n")
    assert aborted.exit_code != 0 and store.get_agent_person("mbox:" + VICTIM_MBOX) is not None
    done = runner.invoke(main, ["erase", "--agent", agent, "--yes"])
    assert done.exit_code == 0, done.output
    assert "agents: 1" in done.output
    assert store.get_agent_person("mbox:" + VICTIM_MBOX) is None
    [entry] = store.list_audit()
    assert entry.action == "erasure" and entry.actor.startswith("cli:")
