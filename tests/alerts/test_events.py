"""Event detection on a planted warehouse (tests/dashboards/fixture_warehouse.py), raised once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from analytics.notify.alerts import record_decisions, step_events
from analytics.notify.events import Detector, Rules
from config.settings import Settings
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.dashboards.fixture_warehouse import AS_OF, Fixture, build

MONTH = AS_OF.replace(day=1)


@pytest.fixture
def planted(tmp_path: Path) -> Fixture:
    return build(tmp_path / "wh.duckdb")


def _detect(fx: Fixture, **rules: float) -> dict[str, object]:
    with duckdb.connect(str(fx.path), read_only=True) as conn:
        found = Detector(conn, MONTH, AS_OF, Rules(base_url="http://lrs.test", **rules), 7).all()  # type: ignore[arg-type]
    return {e.id: e for e in found}


def test_new_flags_only_and_in_plain_words(planted: Fixture) -> None:
    found = _detect(planted)
    flags = sorted(k for k in found if k.startswith("flag_"))
    d1, c2 = planted.priority
    d3, c3 = planted.low
    # D1/C2 was already DECLINING or LOW last month: an escalation, not a new flag
    assert flags == [f"flag_escalated:{d1}:{c2}:2026-01", f"flag_low:{d3}:{c3}:2026-01"]
    ev = found[f"flag_escalated:{d1}:{c2}:2026-01"]
    assert ev.severity == "high" and ev.reason.startswith(f"PRIORITY in {d1} / {c2}")  # type: ignore[attr-defined]
    assert ev.link == f"http://lrs.test/dashboards/readiness?department={d1}&competency={c2}"  # type: ignore[attr-defined]
    assert ev.evidence["flag_row"]["flag"] == "PRIORITY"  # type: ignore[attr-defined]
    assert ev.evidence["flag_row"]["explanation"]["reason"] == ev.reason  # type: ignore[attr-defined]
    assert ev.department_name and ev.site and ev.competency_name  # type: ignore[attr-defined]
    # DECLINING since an earlier month: not new, not raised
    d2, c1 = planted.declining
    assert f"flag_declining:{d2}:{c1}:2026-01" not in found


def test_certification_cliff_and_update_behind(planted: Fixture) -> None:
    with duckdb.connect(str(planted.path)) as conn:
        conn.execute(
            "UPDATE person_competency_status SET expires_on = ? "
            "WHERE department_id = 'D4' AND competency_id = 'C1'",
            [AS_OF + timedelta(days=10)],
        )
        d, c = planted.update
        conn.execute(
            "UPDATE person_competency_status SET status = 'update_due' "
            "WHERE department_id = ? AND competency_id = ?",
            [d, c],
        )
    found = _detect(planted, cliff_share=0.5)
    cliffs = [k for k in found if k.startswith("certification_cliff")]
    assert cliffs == ["certification_cliff:D4:C1:2026-01"]
    assert "expiring by" in found[cliffs[0]].reason  # type: ignore[attr-defined]
    assert [k for k in found if k.startswith("update_behind")] == [f"update_behind:{d}:{c}:2026-01"]


def test_harm_high(planted: Fixture) -> None:
    with duckdb.connect(str(planted.path)) as conn:
        conn.execute("ALTER TABLE incident_rates ADD COLUMN harm_high BOOLEAN DEFAULT false")
        conn.execute(
            "UPDATE incident_rates SET harm_high = true WHERE department_id = 'D2' AND month = ?",
            [MONTH],
        )
    assert [k for k in _detect(planted) if k.startswith("harm")] == ["harm_high:D2:-:2026-01"]


def test_events_are_raised_once(planted: Fixture, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    alerts = alerts_store(store)
    events = list(_detect(planted).values())
    assert len(record_decisions(alerts, events, 1)) == len(events)  # type: ignore[arg-type]
    assert record_decisions(alerts, events, 2) == []  # type: ignore[arg-type]


def test_failed_step_raises_one_event(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    start = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
    us = int(start.timestamp() * 1e6)
    store.start_run("r1", "models", us, "host:1")
    store.finish_run("r1", us + 5_000_000, "failed", {}, "boom")
    found = step_events(store, Settings(), start + timedelta(minutes=5))
    assert [e.kind for e in found] == ["step_failed"]
    assert "models" in found[0].reason and found[0].severity == "high"
    again = step_events(store, Settings(), start + timedelta(minutes=20))
    assert [e.id for e in again] == [found[0].id]  # the same failure: the same id


def test_the_scheduler_hook_runs_one_pass(planted: Fixture, tmp_path: Path) -> None:
    from analytics.notify.alerts import run_alerts_step
    from analytics.notify.steps import alerts_step
    from tests.alerts.factories import sub
    from tests.alerts.servers import webhook_receiver

    settings = Settings(data_dir=tmp_path, warehouse_path=str(planted.path))
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    with webhook_receiver() as rx:
        alerts_store(store).add_subscription(
            sub("hook", "webhook", rx.url, kinds=("flag_low",), departments=("D3",))
        )
        now = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
        counts = alerts_step(settings, now)  # what lrs worker calls after a models run
        assert counts["new_events"] > 0 and counts["sent"] == 1
        assert run_alerts_step(settings, now)["new_events"] == 0  # raised once
    (body,) = rx.bodies()
    assert [e["id"] for e in body["events"]] == ["flag_low:D3:C3:2026-01"]


def test_retraining_list_goes_only_to_staff_level_subscribers(tmp_path: Path) -> None:
    from analytics.notify.alerts import run_pass
    from tests.alerts.factories import sub
    from tests.alerts.servers import smtp_sink
    from tests.notify.test_retraining_reasons import AS_OF as DAY
    from tests.notify.test_retraining_reasons import _warehouse

    warehouse = _warehouse(tmp_path)  # D1 x sepsis: five staff to retrain, one compliant
    with warehouse.write() as conn:
        conn.execute(
            "CREATE OR REPLACE TABLE departments AS SELECT 'D1' AS department_id, "
            "'Ward 1' AS name, 'North' AS site, 'Medicine' AS service_line"
        )
        conn.execute(
            "CREATE OR REPLACE TABLE competencies AS SELECT 'sepsis' AS competency_id, "
            "'Sepsis recognition' AS name, 2 AS criticality"
        )
        conn.execute(
            "CREATE OR REPLACE TABLE flags AS SELECT * FROM (VALUES "
            "('D1', 'sepsis', DATE '2026-02-01', 'OK', '{}'), "
            "('D1', 'sepsis', DATE '2026-03-01', 'LOW', '{\"reason\": \"Below.\"}')) "
            "t(department_id, competency_id, month, flag, explanation)"
        )
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    alerts = alerts_store(store)
    only: dict = {"kinds": ("flag_low",), "digest": False}
    alerts.add_subscription(sub("educator", target="edu@example.org", staff_level=True, **only))
    alerts.add_subscription(sub("leader", target="lead@example.org", **only))
    with smtp_sink() as (port, inbox):
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
        now = datetime.combine(DAY, datetime.min.time(), UTC)
        assert run_pass(store, warehouse, settings, now)["sent"] == 2
    by_to = {m["To"]: m for m in inbox}
    edu, lead = by_to["edu@example.org"], by_to["lead@example.org"]
    (event,) = alerts.get_events(["flag_low:D1:sepsis:2026-03"]).values()
    rows = event.evidence["retraining"]
    assert sorted(r["person_key"] for r in rows) == ["p1", "p2", "p3", "p5", "p6"]
    csv_parts = [p for p in edu.iter_attachments() if p.get_filename() == "retraining.csv"]
    assert len(csv_parts) == 1
    lines = csv_parts[0].get_content().strip().splitlines()
    assert lines[0].startswith("user_id,email,course_id,due_date,reason") and len(lines) == 6
    edu_text = edu.get_body(("plain",)).get_content()
    assert "Retraining: 5 staff" in edu_text and "p1 (failed, evidence fail-1" in edu_text
    lead_text = lead.get_body(("plain",)).get_content()
    assert "Retraining" not in lead_text and "fail-1" not in lead_text
    assert list(lead.iter_attachments()) == []
