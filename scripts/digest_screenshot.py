"""Render a sample weekly digest (HTML email) in headless Chromium: docs/img/digest.png.

``.venv/bin/python scripts/digest_screenshot.py`` — the events are illustrative (department,
competency, reason and link as the alerts pass writes them), rendered by the same code that
sends the email (:func:`analytics.notify.render.html_body`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from analytics.notify.render import html_body
from statements.alerts.model import Event, OutboxItem, event_id

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://lrs.example.org/dashboards/readiness"


def _event(kind: str, sev: str, dept: str, name: str, comp: str, cname: str, reason: str) -> Event:
    return Event(
        id=event_id(kind, dept, comp, "2025-03"),
        kind=kind,
        severity=sev,
        month="2025-03",
        department_id=dept,
        competency_id=comp,
        title=f"{name}: {cname}",
        reason=reason,
        link=f"{BASE}?department={dept}&competency={comp}",
        site="North",
        service_line="Medicine",
        department_name=name,
        competency_name=cname,
    )


EVENTS = [
    _event(
        "flag_priority",
        "high",
        "D03",
        "Acute Medical Unit",
        "sepsis-recognition",
        "Sepsis recognition",
        "PRIORITY in Acute Medical Unit / Sepsis recognition: 4 more staff lapsed than the "
        "baseline predicts (p = 0.003), mostly expired certificates.",
    ),
    _event(
        "certification_cliff",
        "medium",
        "D07",
        "Surgical Ward 2",
        "blood-transfusion",
        "Blood transfusion",
        "9 of 31 required staff (29%) have certificates expiring by 2025-04-30.",
    ),
    _event(
        "update_behind",
        "medium",
        "D11",
        "Critical Care",
        "high-alert-medications",
        "High-alert medications",
        "12 of 20 staff still need the updated training 40 days after the change; the plan "
        "expected at most 33% by now.",
    ),
]


def main(out: Path = ROOT / "docs" / "img" / "digest.png") -> None:
    """Write the screenshot to ``out``."""
    item = OutboxItem("digest|sample|2025-03-31", "sample", "digest", [e.id for e in EVENTS])
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "digest.html"
        page.write_text(html_body(item, EVENTS), encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={out}",
                "--window-size=800,720",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(out)


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
