"""``/metrics`` shows the alert outbox by state and the subscription count."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from lrs.extensions import services
from statements.alerts.model import OutboxItem
from statements.alerts.store import alerts_store
from tests.alerts.factories import sub


def _sample(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])


def test_metrics_show_outbox_states(client: FlaskClient, app: Any, credential: Any) -> None:
    alerts = alerts_store(services(app).store)
    alerts.add_subscription(sub("s1"))
    alerts.add_items(
        [
            OutboxItem("a", "s1", "alert", ["e1"], state="pending"),
            OutboxItem("b", "s1", "alert", ["e2"], state="dead", attempts=8),
            OutboxItem("c", "s1", "alert", ["e3"], state="dead", attempts=8),
        ]
    )
    text = client.get("/metrics", headers=credential("metrics")).get_data(as_text=True)
    assert _sample(text, 'lrs_alerts_outbox{state="pending"}') == 1
    assert _sample(text, 'lrs_alerts_outbox{state="dead"}') == 2
    assert _sample(text, 'lrs_alerts_outbox{state="sent"}') == 0
    assert _sample(text, "lrs_alerts_subscriptions") == 1
