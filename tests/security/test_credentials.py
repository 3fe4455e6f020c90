"""Credentials: argon2id hashes, expiry, rotation, last-used time, no secret ever logged."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from lrs.cli import main
from lrs.credentials import (
    Verifier,
    expired,
    hash_secret,
    new_credential,
    parse_expiry,
)
from lrs.extensions import services
from statements.errors import BadRequest
from statements.timefmt import format_us
from tests.conftest import START_US, FakeClock

VERSION = {"X-Experience-API-Version": "1.0.3"}


def basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {**VERSION, "Authorization": f"Basic {token}"}


def add(app: Flask, clock: FakeClock, key: str, **kw: Any) -> str:
    cred, secret = new_credential(key, ["all"], clock(), key=key, secret=f"{key}-secret", **kw)
    services(app).store.add_credential(cred)
    return secret


def test_secrets_are_stored_as_argon2id_hashes(store: Any) -> None:
    cred, secret = new_credential("x", ["all"], START_US, key="k1")
    store.add_credential(cred)
    stored = store.get_credential("k1")
    assert stored.secret_hash.startswith("$argon2id$")
    assert secret not in stored.secret_hash
    assert len(secret) >= 32  # 192 random bits, URL-safe


def test_expired_credentials_are_refused(app: Flask, client: FlaskClient, clock: FakeClock) -> None:
    soon = format_us(clock.now + 3_600_000_000)
    secret = add(app, clock, "temp", expires=soon)
    assert client.get("/xapi/statements", headers=basic("temp", secret)).status_code == 200
    clock.advance(3601)
    resp = client.get("/xapi/statements", headers=basic("temp", secret))
    assert resp.status_code == 401 and "expired" in resp.get_json()["error"]


def test_revoked_credentials_are_refused(app: Flask, client: FlaskClient, clock: FakeClock) -> None:
    secret = add(app, clock, "gone")
    assert client.get("/xapi/statements", headers=basic("gone", secret)).status_code == 200
    services(app).store.revoke_credential("gone")
    assert client.get("/xapi/statements", headers=basic("gone", secret)).status_code == 401


def test_rotation_replaces_the_secret_at_once(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    old = add(app, clock, "rot")
    assert client.get("/xapi/statements", headers=basic("rot", old)).status_code == 200
    store = services(app).store
    assert store.rotate_credential("rot", hash_secret("fresh-secret"), None)
    assert not store.rotate_credential("nobody", hash_secret("x"), None)
    # the verifier cached the old secret's success: rotation must still end it at once
    assert client.get("/xapi/statements", headers=basic("rot", old)).status_code == 401
    assert client.get("/xapi/statements", headers=basic("rot", "fresh-secret")).status_code == 200
    assert store.get_credential("rot").scopes == ("all",)


def test_last_used_is_recorded_at_most_once_a_minute(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    secret = add(app, clock, "used")
    store = services(app).store
    assert store.get_credential("used").last_used is None
    client.get("/xapi/statements", headers=basic("used", secret))
    first = store.get_credential("used").last_used
    assert first is not None
    client.get("/xapi/statements", headers=basic("used", secret))
    assert store.get_credential("used").last_used == first  # within the minute: no write
    clock.advance(61)
    client.get("/xapi/statements", headers=basic("used", secret))
    assert store.get_credential("used").last_used > first


def test_unknown_keys_cost_an_argon2_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    import lrs.credentials as module

    real = module._HASHER
    calls: list[str] = []

    class Counting:
        def hash(self, secret: str) -> str:
            return real.hash(secret)

        def verify(self, hashed: str, secret: str) -> bool:
            calls.append(secret)
            return real.verify(hashed, secret)

    monkeypatch.setattr(module, "_HASHER", Counting())
    assert Verifier().refuse("guess") is False
    assert calls == ["guess"]


def test_cached_successes_still_check_the_secret() -> None:
    cred, _secret = new_credential("x", ["all"], START_US, key="k", secret="right")
    verifier = Verifier()
    assert verifier.verify(cred, "right")
    assert not verifier.verify(cred, "wrong")  # a cache hit needs the same secret digest
    assert verifier.verify(cred, "right")


def test_expiry_parsing() -> None:
    assert parse_expiry("2027-03-01") == "2027-03-01T00:00:00.000Z"
    assert parse_expiry("2027-03-01T12:30:00+02:00") == "2027-03-01T10:30:00.000Z"
    assert parse_expiry("2027-03-01T12:30:00") == "2027-03-01T12:30:00.000Z"
    assert parse_expiry(None) is None
    with pytest.raises(BadRequest):
        parse_expiry("next tuesday")
    cred, _ = new_credential("x", ["all"], START_US, key="k", secret="s", expires="2026-01-02")
    assert not expired(cred, START_US)


def test_old_sqlite_databases_gain_the_new_columns(tmp_path: Path) -> None:
    from statements.store.sqlite import SQLiteStore

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE credentials (key TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, name TEXT NOT"
        " NULL, scopes TEXT NOT NULL, authority TEXT NOT NULL, created TEXT NOT NULL, revoked"
        " INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute(
        "INSERT INTO credentials VALUES ('old', 'h', 'n', '[\"all\"]', '{}', '2025-01-01', 0)"
    )
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    store.init()
    store.init()  # idempotent
    cred = store.get_credential("old")
    assert cred is not None and cred.expires is None and cred.last_used is None
    store.touch_credential("old", "2026-01-01T00:00:00.000Z")
    assert store.get_credential("old").last_used == "2026-01-01T00:00:00.000Z"


def test_cli_add_rotate_revoke_are_audited_and_never_log_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LRS_STORE_URL", raising=False)
    runner = CliRunner()
    caplog.set_level(logging.DEBUG)
    made = runner.invoke(
        main,
        [
            "credentials",
            "add",
            "--name",
            "lms",
            "--key",
            "lms",
            "--scope",
            "statements/write",
            "--secret",
            "first-Secret-value",
            "--expires",
            "2030-01-01",
        ],
    )
    assert made.exit_code == 0, made.output
    assert "expires: 2030-01-01T00:00:00.000Z" in made.output
    rotated = runner.invoke(main, ["credentials", "rotate", "lms", "--expires", "2031-01-01"])
    assert rotated.exit_code == 0, rotated.output
    new_secret = rotated.output.split("secret:")[1].split()[0]
    listed = runner.invoke(main, ["credentials", "list"])
    assert "2031-01-01T00:00:00.000Z" in listed.output and "never used" in listed.output
    header, row = listed.output.splitlines()
    assert header.split("\t") == [
        "key",
        "name",
        "scopes",
        "created",
        "state",
        "expires",
        "last_used",
    ]
    assert len(row.split("\t")) == 7 and row.startswith("lms\t")
    assert "first-Secret-value" not in listed.output and new_secret not in listed.output
    assert runner.invoke(main, ["credentials", "revoke", "lms"]).exit_code == 0
    assert runner.invoke(main, ["credentials", "rotate", "nobody"]).exit_code != 0
    audit = runner.invoke(main, ["audit", "--json", "--verify"])
    assert audit.exit_code == 0, audit.output
    entries = [json.loads(line) for line in audit.output.splitlines() if line.startswith("{")]
    assert [e["action"] for e in entries] == [
        "credential.add",
        "credential.rotate",
        "credential.revoke",
    ]
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert "audit chain intact: 3 entries" in audit.output
    logged = caplog.text + audit.output
    assert "first-Secret-value" not in logged and new_secret not in logged


def test_http_requests_never_log_the_secret(
    app: Flask, client: FlaskClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = add(app, clock, "logme")
    client.get("/xapi/statements", headers=basic("logme", secret))
    client.get("/xapi/statements", headers=basic("logme", secret + "x"))
    header = basic("logme", secret)["Authorization"].split()[1]
    assert secret not in caplog.text and header not in caplog.text
