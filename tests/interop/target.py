"""An in-process second LRS (our own app on its own SQLite store) behind the XapiClient API."""

from __future__ import annotations

import uuid
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.interop.client import Reply, TransportError, XapiClient
from statements.compare import equivalent
from statements.ingest import prepare_batch, store_batch
from statements.store import open_store
from tests.conftest import FakeClock

AUTH = {"objectType": "Agent", "account": {"homePage": "http://source.test", "name": "k"}}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


class Target(XapiClient):
    """Routes the client's requests to a Flask test client; ``down`` refuses connections."""

    def __init__(self, tmp: Path, clock: FakeClock) -> None:
        super().__init__("http://target.test/xapi/", "tk", "ts")
        self.store = open_store(f"sqlite:///{tmp / 'target.db'}")
        self.store.init()
        settings = Settings(data_dir=tmp, secret_key="target-secret")
        self.app = create_app(settings, store=self.store, clock=clock)
        cred, _ = new_credential("fwd", ("all",), clock(), key="tk", secret="ts")
        self.store.add_credential(cred)
        self.http = self.app.test_client()
        self.down = False
        self.requests: list[tuple[str, int]] = []

    def request(
        self, method: str, url: str, body: bytes | None = None, content_type: str | None = None
    ) -> Reply:
        if self.down:
            raise TransportError("connection refused")
        parts = urlsplit(url)
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        resp = self.http.open(
            parts.path, method=method, query_string=parts.query, data=body, headers=headers
        )
        self.requests.append((method, resp.status_code))
        msg = Message()
        for k, v in resp.headers.items():
            msg[k] = v
        return Reply(resp.status_code, msg, resp.get_data())

    def all_ids(self) -> list[str]:
        return [r.id for batch in self.store.iter_since(0) for r in batch]


def sid(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def statement(n: int, verb: str = "http://example.org/verbs/did", **extra: Any) -> dict[str, Any]:
    return {
        "id": sid(n),
        "actor": {"mbox": f"mailto:l{n % 5}@example.org"},
        "verb": {"id": verb},
        "object": {"id": f"http://example.org/act/{n % 7}"},
        "timestamp": "2026-01-01T00:00:00Z",
        **extra,
    }


def voiding(n: int, target: int) -> dict[str, Any]:
    return {
        "id": sid(n),
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": sid(target)},
    }


def post(store: Any, bodies: list[dict[str, Any]], clock: FakeClock, atts: Any = ()) -> None:
    """Store statements in ``store`` the way POST /statements does."""
    records = prepare_batch(bodies, authority=AUTH, api_version="1.0.3", now_us=clock())
    store_batch(store, records, list(atts))


def same_statements(source: Any, target: Any) -> None:
    """Every source statement is in ``target`` once, equivalent, voided state preserved."""
    src = {r.id: r for b in source.iter_since(0) for r in b}
    dst_ids = [r.id for b in target.iter_since(0) for r in b]
    assert len(dst_ids) == len(set(dst_ids))
    assert sorted(dst_ids) == sorted(src)
    dst = target.get_by_ids(list(src))
    for key, rec in src.items():
        assert equivalent(rec.body, dst[key].body), key
        assert rec.voided == dst[key].voided, key
