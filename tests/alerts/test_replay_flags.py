"""The must-show, cheaply: a planted decline replayed month by month through the real flag model
(:func:`analytics.flags.compute_flags` on each month's series so far), published to a warehouse,
then the real alerts pass to a real loopback SMTP server. The subscriber to the planted
department hears exactly once, in the month the cell is first flagged, and never about the
department's in-control cells; the digest names department, competency, reason and link.
(The full demo-hospital replay is test_replay_demo.py, marked slow.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analytics.flags import FlagSettings, compute_flags
from analytics.notify.alerts import run_pass
from analytics.renewals import DUES_SCHEMA
from analytics.warehouse import Warehouse
from config.settings import Settings
from statements.alerts.spec import new_subscription
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.alerts.servers import smtp_sink

MONTHS = [date(2024, m, 1) for m in range(1, 13)] + [date(2025, m, 1) for m in range(1, 7)]
T = len(MONTHS)
COMPETENCIES = ("sepsis", "hand-hygiene", "fire-safety")
LAPSING = [0] * 8 + [2] * 10  # two renewals missed a month from month 9 on
ATTENTION = {"PRIORITY", "DECLINING", "LOW"}


def _cell(dept: str, comp: str, lapsed: list[int], n: int = 24) -> list[dict[str, Any]]:
    due = [0] + [n // 12] * (T - 1)
    out = [min(n, sum(lapsed[: i + 1])) for i in range(T)]
    return [
        {
            "department_id": dept,
            "competency_id": comp,
            "month": month,
            "n_required": n,
            "n_established": n,
            "n_compliant": n - out[i],
            "compliance_rate": (n - out[i]) / n,
            "n_expired": out[i],
            "n_failed": 0,
            "n_update_due": 0,
            "n_onboarding": 0,
            "n_overdue": 0,
            "n_due": due[i],
            "n_lapsed": lapsed[i],
            "persons": [f"{dept}-p{k}" for k in range(n)],
        }
        for i, month in enumerate(MONTHS)
    ]


def _series() -> pl.DataFrame:
    rows = []
    for comp in COMPETENCIES:
        rows += _cell("D1", comp, LAPSING if comp == "sepsis" else [0] * T)
        for i in range(8):  # in-control peers: one lapse somewhere
            rows += _cell(f"P{i}", comp, [0] * (3 + i % 5) + [1] + [0] * (T - 4 - i % 5))
    return pl.DataFrame(rows, schema_overrides={"month": pl.Date})


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _dues(as_of: date) -> pl.DataFrame:
    """Renewal dues known at ``as_of``'s month end: person k of every unit is due on the 15th of
    month k % 12 + 1, renewed 10 days early (every fifth 20 days late); D1's sepsis dues from
    month 9 on are never renewed (the planted decline the series' LAPSING column counts)."""
    end = _month_end(as_of)
    rows = []
    for dept in ["D1", *(f"P{i}" for i in range(8))]:
        for comp in COMPETENCIES:
            for k in range(24):
                for month in MONTHS:
                    due = month.replace(day=15)
                    if month.month != k % 12 + 1 or due > end:
                        continue
                    late = (k + month.month) % 5 == 0
                    renewed: date | None = due + timedelta(days=20 if late else -10)
                    if dept == "D1" and comp == "sepsis" and month >= MONTHS[8]:
                        renewed = None
                    if renewed is not None and renewed > end:
                        renewed = None
                    rows.append(
                        {
                            "person_key": f"{dept}-p{k}",
                            "department_id": dept,
                            "competency_id": comp,
                            "due": due,
                            "renewed": renewed,
                            "censored": None,
                        }
                    )
    return pl.DataFrame(rows, schema=DUES_SCHEMA)


def _publish(warehouse: Warehouse, flags: pl.DataFrame) -> None:
    depts = ["D1", *(f"P{i}" for i in range(8))]
    with warehouse.write() as conn:
        conn.execute(
            "CREATE OR REPLACE TABLE departments AS SELECT * FROM (VALUES "
            + ", ".join(f"('{d}', 'Ward {d}', 'North', 'Medicine')" for d in depts)
            + ") t(department_id, name, site, service_line)"
        )
        conn.execute(
            "CREATE OR REPLACE TABLE competencies AS SELECT * FROM (VALUES "
            "('sepsis', 'Sepsis recognition', 2), ('hand-hygiene', 'Hand hygiene', 2), "
            "('fire-safety', 'Fire safety', 1)) t(competency_id, name, criticality)"
        )
        conn.register("flags_out", flags.to_arrow())
        conn.execute("CREATE OR REPLACE TABLE flags AS SELECT * FROM flags_out")
        conn.unregister("flags_out")


def test_planted_decline_alerts_once_in_its_first_flagged_month(tmp_path: Path) -> None:
    series = _series()
    competencies = pl.DataFrame({"competency_id": list(COMPETENCIES), "criticality": [2, 2, 1]})
    changes = pl.DataFrame(
        schema={"competency_id": pl.Utf8, "change_date": pl.Date, "invalidates_prior": pl.Boolean}
    )
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    alerts = alerts_store(store)
    spec = {
        "target": "lead@example.org",
        "departments": ["D1"],
        "kinds": ["flag_priority", "flag_declining", "flag_low"],
    }
    sub = new_subscription(spec, owner="lead", now_us=0, may_staff=False)
    alerts.add_subscription(sub)
    first_flagged, received = None, {}
    with smtp_sink() as (port, inbox):
        for month in MONTHS[6:]:  # replay from month 7, one models run per month end
            flags = compute_flags(
                series.filter(pl.col("month") <= month),
                competencies,
                changes,
                FlagSettings(),
                dues=_dues(month),
            )
            _publish(warehouse, flags)
            now = datetime.combine(month.replace(day=28) + timedelta(days=4), time(0), UTC)
            now = datetime.combine(now.date().replace(day=1) - timedelta(days=1), time(23), UTC)
            settings = Settings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_starttls=False,
                alerts_base_url="http://lrs.test",
                alerts_digest_weekday=now.weekday(),
            )
            before = len(inbox)
            run_pass(store, warehouse, settings, now)
            received[month] = inbox[before:]
            cell = flags.filter((pl.col("department_id") == "D1") & (pl.col("month") == month))
            states = dict(zip(cell["competency_id"], cell["flag"], strict=True))
            assert (
                states["hand-hygiene"] not in ATTENTION and states["fire-safety"] not in ATTENTION
            )
            if first_flagged is None and states["sepsis"] in ATTENTION:
                first_flagged = month
    assert first_flagged is not None
    immediate = {
        m: [x for x in msgs if "digest" not in x["Subject"]] for m, msgs in received.items()
    }
    assert [m for m, msgs in immediate.items() if msgs] == [first_flagged]
    (alert,) = immediate[first_flagged]
    assert "Ward D1: Sepsis recognition" in alert["Subject"]
    digests = [x for msgs in received.values() for x in msgs if "digest" in x["Subject"]]
    assert len(digests) == 1 and digests[0] in received[first_flagged]
    plain = digests[0].get_body(("plain",)).get_content()
    (item,) = [i for i in alerts.list_items(subscription_id=sub.id) if i.kind == "digest"]
    (event,) = alerts.get_events(item.event_ids).values()
    assert event.kind in ("flag_priority", "flag_declining", "flag_low")
    assert event.id.endswith(f":D1:sepsis:{first_flagged:%Y-%m}")
    for needle in (
        "Ward D1",
        "Sepsis recognition",
        "Reason: ",
        event.reason,
        "http://lrs.test/dashboards/readiness?department=D1&competency=sepsis",
    ):
        assert needle in plain
