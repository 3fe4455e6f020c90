"""``lrs alerts subscribe|list|remove|retry|deadletters|run`` on a SQLite store under LRS_DATA_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrs.cli import main
from statements.alerts.model import OutboxItem
from statements.alerts.spec import new_subscription
from statements.alerts.store import alerts_store
from statements.errors import BadRequest
from statements.store.sqlite import SQLiteStore


def _cli(tmp_path: Path, *args: str, ok: bool = True) -> str:
    env = {"LRS_DATA_DIR": str(tmp_path), "LRS_WAREHOUSE_PATH": str(tmp_path / "none.duckdb")}
    done = CliRunner().invoke(main, ["alerts", *args], env=env)
    assert (done.exit_code == 0) == ok, done.output
    return done.output


def test_subscribe_list_remove(tmp_path: Path) -> None:
    out = _cli(
        tmp_path,
        "subscribe",
        "--email",
        "lead@example.org",
        "--department",
        "D03",
        "--kind",
        "flag_priority",
        "--no-digest",
    )
    sub_id = out.split()[1].rstrip(":")
    hook = _cli(
        tmp_path,
        "subscribe",
        "--webhook",
        "https://hooks.example.org/x",
        "--format",
        "slack",
        "--secret",
        "0123456789abcdef",
    )
    listed = [json.loads(line) for line in _cli(tmp_path, "list", "--json").splitlines()]
    assert {s["target"] for s in listed} == {"lead@example.org", "https://hooks.example.org/x"}
    mine = next(s for s in listed if s["id"] == sub_id)
    assert mine["departments"] == ["D03"] and not mine["digest"] and mine["secret"] is None
    assert next(s for s in listed if s["id"] != sub_id)["secret"] == "***"
    assert "departments=D03" in _cli(tmp_path, "list")
    assert "removed" in _cli(tmp_path, "remove", sub_id)
    assert "no subscription" in _cli(tmp_path, "remove", sub_id, ok=False)
    assert hook and len(_cli(tmp_path, "list").splitlines()) == 1


def test_bad_input_names_the_field(tmp_path: Path) -> None:
    out = _cli(tmp_path, "subscribe", "--email", "not-an-address", ok=False)
    assert "target: an email address" in out
    out = _cli(tmp_path, "subscribe", "--webhook", "x", "--email", "a@b.org", ok=False)
    assert "exactly one" in out


def test_deadletters_and_retry(tmp_path: Path) -> None:
    _cli(tmp_path, "list")  # creates the store
    store = SQLiteStore(tmp_path / "lrs.db")
    alerts = alerts_store(store)
    alerts.add_items(
        [
            OutboxItem(
                "alert|s|e",
                "s",
                "alert",
                ["e"],
                state="dead",
                attempts=8,
                last_error="HTTP 500 from http://h",
            )
        ]
    )
    assert "alert|s|e\ts\t8\tHTTP 500 from http://h" in _cli(tmp_path, "deadletters")
    assert "queued 1" in _cli(tmp_path, "retry")
    assert _cli(tmp_path, "deadletters") == ""
    assert alerts.list_items(state="pending")[0].attempts == 0


def test_run_without_a_warehouse_sends_nothing(tmp_path: Path) -> None:
    counts = json.loads(_cli(tmp_path, "run", "--as-of", "2026-05-31"))
    assert counts["events"] == 0 and counts["sent"] == 0


@pytest.mark.parametrize(
    ("spec", "field", "rule"),
    [
        ({"channel": "sms", "target": "x"}, "channel", "enum"),
        ({"target": "a@b.org", "bogus": 1}, "bogus", "unknown_field"),
        ({"channel": "webhook", "target": "ftp://x"}, "target", "url"),
        ({"target": "a@b.org", "kinds": ["nope"]}, "kinds", "enum"),
        ({"target": "a@b.org", "staff_level": True}, "staff_level", "scope"),
        ({"target": "a@b.org", "immediate": False, "digest": False}, "digest", "required"),
        ({"channel": "webhook", "target": "http://h/x", "secret": "short"}, "secret", "length"),
        ({"target": "a@b.org", "min_severity": "urgent"}, "min_severity", "enum"),
    ],
)
def test_spec_errors(spec: dict, field: str, rule: str) -> None:
    with pytest.raises(BadRequest) as err:
        new_subscription(spec, owner="o", now_us=0, may_staff=False)
    assert (err.value.errors[0].path, err.value.errors[0].rule) == (field, rule)
