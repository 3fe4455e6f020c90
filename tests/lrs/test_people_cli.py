"""``lrs people …`` and the bootstrap admin (printed once, never again)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lrs.cli import main
from lrs.people.admin import BOOTSTRAP_EMAIL, ensure_bootstrap_admin, ensure_demo_leader
from lrs.people.passwords import verify_password
from statements.people import Scope
from statements.store import open_store


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LRS_STORE_URL", raising=False)
    return tmp_path


def _store(data_dir: Path) -> Any:
    store = open_store(f"sqlite:///{(data_dir / 'lrs.db').resolve()}")
    store.init()
    return store


def _run(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_add_list_change_and_remove(data_dir: Path) -> None:
    out = _run(
        "people", "add", "--email", "Nurse@Example.org", "--name", "Unit Manager",
        "--roles", "staff,viewer", "--scope", "department:D2,site:North", "--totp",
    )  # fmt: skip
    password = re.search(r"password: (\S+)", out)
    assert password is not None and "otpauth://totp/" in out
    person = _store(data_dir).get_person_by_email("nurse@example.org")
    assert person.access.roles == ("viewer", "staff")
    assert person.access.scope == Scope(sites=("North",), departments=("D2",))
    assert verify_password(person.password_hash, password.group(1)) and person.totp_secret
    assert password.group(1) not in _run("people", "list")
    _run("people", "set-roles", "nurse@example.org", "auditor")
    _run("people", "set-scope", person.id, "all")
    changed = _store(data_dir).get_person(person.id)
    assert changed.access.roles == ("auditor",) and changed.access.scope.all
    _run("people", "reset-password", person.id, "--password-stdin", "--no-totp",
         stdin="a brand new passphrase\n")  # fmt: skip
    changed = _store(data_dir).get_person(person.id)
    assert verify_password(changed.password_hash, "a brand new passphrase")
    assert changed.totp_secret is None
    _run("people", "remove", "nurse@example.org")
    assert _store(data_dir).list_people() == []
    actions = [e.action for e in _store(data_dir).list_audit()]
    assert actions == [
        "people.add", "people.set_roles", "people.set_scope", "people.reset_password",
        "people.remove",
    ]  # fmt: skip


def test_bad_roles_scopes_and_duplicates_are_clear_errors(data_dir: Path) -> None:
    runner = CliRunner()
    base = ["people", "add", "--email", "a@example.org", "--name", "A"]
    bad_role = runner.invoke(main, [*base, "--roles", "boss", "--scope", "all"])
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    bad_scope = runner.invoke(main, [*base, "--roles", "viewer", "--scope", "ward:7"])
    assert bad_scope.exit_code == 2 and "site:X" in bad_scope.output
    assert runner.invoke(main, [*base, "--roles", "viewer", "--scope", "all"]).exit_code == 0
    again = runner.invoke(main, [*base, "--roles", "viewer", "--scope", "all"])
    assert again.exit_code == 1 and "exists" in again.output


def test_bootstrap_admin_once(data_dir: Path) -> None:
    store = _store(data_dir)
    ensure_demo_leader(store, 1)  # the demo leader does not count as an admin
    made = ensure_bootstrap_admin(store, 2)
    assert made is not None
    admin, password = made
    assert admin.email == BOOTSTRAP_EMAIL and admin.access.can_admin
    assert verify_password(store.get_person(admin.id).password_hash, password)
    assert ensure_bootstrap_admin(store, 3) is None  # never again
    assert [e.action for e in store.list_audit()] == ["people.bootstrap_admin"]
    assert password not in str(store.list_audit()[0].detail)


def test_serve_prints_the_bootstrap_password_once(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    execs: list[Any] = []
    monkeypatch.setattr("os.execve", lambda *a: execs.append(a))
    first = _run("serve")
    second = _run("serve")
    found = re.search(r"email admin@localhost\s+password (\S+)", first)
    assert found is not None and len(execs) == 2
    assert found.group(1) not in second and "bootstrap admin" not in second


def test_start_adds_the_demo_leader_to_an_existing_demo(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lrs.cli.demo.run import CREDENTIAL_FILE

    monkeypatch.setenv("LRS_DEMO", "0")
    monkeypatch.setenv("LRS_WORKER_ENABLED", "0")  # no scheduler child in this test
    monkeypatch.setattr("os.execve", lambda *a: None)
    _run("start")
    assert _store(data_dir).get_person("demo-leader") is None  # no demo here: no leader
    (data_dir / CREDENTIAL_FILE).write_text("demo-admin s3cret\n")  # a demo loaded earlier
    _run("start")
    assert _store(data_dir).get_person("demo-leader") is not None
