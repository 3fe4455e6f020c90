"""Must-show: the demo hospital replayed month by month (models ``--as-of`` each month end, then
the alerts pass) tells a subscriber to the planted department exactly once, in the month the
planted decline is first flagged, and never about its in-control cells; the digest names the
department, competency, reason and link. Mail is read back from a real loopback SMTP server.

Slow (8 min 10 s measured on 2 shared cores: the 300-staff demo load and one full models run
per month, months 7-12); the cheap planted-series variant runs by default in test_replay_flags.py.
"""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from analytics.demo.generate import generate
from analytics.demo.load import load_demo
from analytics.monthly import frame
from analytics.notify.alerts import run_pass
from analytics.run_models import run_models
from analytics.warehouse import Warehouse
from config.settings import Settings
from lrs.credentials import authority_for
from statements.alerts.spec import new_subscription
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.alerts.servers import smtp_sink

FLAG_KINDS = ["flag_priority", "flag_declining", "flag_low"]


def _month_end(first: str, index: int) -> date:
    """The last day of month ``index`` (1-based) of a window starting ``first`` (YYYY-MM)."""
    y, m = (int(v) for v in first.split("-"))
    y, m = y + (m - 1 + index - 1) // 12, (m - 1 + index - 1) % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1])


def replay(tmp_path: Path, staff: int = 300, months: int = 6) -> dict[str, Any]:
    """Generate and load the demo, then models + one alerts pass per month end from the planted
    decline's start month; what each month's pass sent, and when the cell was first flagged."""
    generate(tmp_path / "data", seed=1, staff=staff)
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    load_demo(store, warehouse, tmp_path / "data", b"k" * 32, authority_for("demo", "demo"))
    truth = json.loads((tmp_path / "data" / "truth.json").read_text())
    sig = next(s for s in truth["signals"] if s["id"] == "readiness_decline")
    dept, comp = sig["department_id"], sig["competency_id"]
    alerts = alerts_store(store)
    spec = {"target": "lead@example.org", "departments": [dept], "kinds": FLAG_KINDS}
    sub = new_subscription(spec, owner="lead", now_us=0, may_staff=False)
    alerts.add_subscription(sub)

    first_flagged: date | None = None
    received: dict[date, list] = {}
    with smtp_sink() as (port, inbox):
        for index in range(sig["start_month"], sig["start_month"] + months):
            as_of = _month_end(truth["window"]["first_month"], index)
            run_models(warehouse, as_of)
            now = datetime.combine(as_of, time(23), tzinfo=UTC)
            settings = Settings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_starttls=False,
                alerts_base_url="http://lrs.test",
                alerts_digest_weekday=now.weekday(),
            )
            before = len(inbox)
            run_pass(store, warehouse, settings, now)
            received[as_of] = inbox[before:]
            with warehouse.read() as conn:
                cell = frame(
                    conn,
                    "SELECT flag FROM flags WHERE department_id = ? AND competency_id = ? "
                    "AND month = ?",
                    [dept, comp, as_of.replace(day=1)],
                )
            if first_flagged is None and set(cell["flag"]) & {"PRIORITY", "DECLINING", "LOW"}:
                first_flagged = as_of
    return {
        "first_flagged": first_flagged,
        "received": received,
        "alerts": alerts,
        "sub": sub,
        "dept": dept,
        "comp": comp,
    }


@pytest.mark.slow
def test_planted_decline_alerts_once_in_its_first_flagged_month(tmp_path: Path) -> None:
    run = replay(tmp_path)
    first_flagged, received, alerts, sub = (
        run["first_flagged"],
        run["received"],
        run["alerts"],
        run["sub"],
    )
    dept, comp = run["dept"], run["comp"]
    assert first_flagged is not None, "the planted decline was never flagged"
    alerts_sent = {
        m: [x for x in msgs if "Weekly digest" not in x["Subject"]] for m, msgs in received.items()
    }
    flagged_month = [m for m, msgs in alerts_sent.items() if msgs]
    assert flagged_month == [first_flagged]
    (alert,) = alerts_sent[first_flagged]
    text = alert.get_body(("plain",)).get_content()
    assert f"/dashboards/readiness?department={dept}&competency={comp}" in text
    digests = [x for msgs in received.values() for x in msgs if "Weekly digest" in x["Subject"]]
    assert len(digests) == 1
    body = digests[0].get_body(("plain",)).get_content()
    (item,) = [i for i in alerts.list_items(subscription_id=sub.id) if i.kind == "digest"]
    (event,) = alerts.get_events(item.event_ids).values()
    assert event.id.endswith(f":{dept}:{comp}:{first_flagged:%Y-%m}")
    for needle in (event.department_name, event.competency_name, event.reason, event.link):
        assert needle and needle in body
    assert all(
        e.department_id == dept and e.competency_id == comp
        for e in alerts.get_events(
            [i.event_ids[0] for i in alerts.list_items(subscription_id=sub.id) if i.kind == "alert"]
        ).values()
    )
