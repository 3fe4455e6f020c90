"""Progress callbacks that drive the first-run progress bars report the real amount of work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.demo.generate import GENERATE_STEPS, generate
from analytics.etl import refresh
from analytics.warehouse import Warehouse
from statements.prepare import prepare
from tests.factories import make_statement

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}}


def test_refresh_reports_every_loaded_statement(store: Any, tmp_path: Path) -> None:
    records = [
        prepare(
            make_statement(), authority=AUTH, api_version="1.0.3", now_us=1_700_000_000_000_000 + n
        )
        for n in range(7)
    ]
    store.insert(records, [])
    seen: list[int] = []
    result = refresh(
        store, Warehouse(tmp_path / "wh.duckdb"), b"k" * 32, batch_size=3, progress=seen.append
    )
    assert sum(seen) == result.loaded == 7
    assert seen == [3, 3, 1]


def test_generation_reports_each_step(tmp_path: Path) -> None:
    steps: list[int] = []
    generate(tmp_path / "h", seed=3, staff=20, months=12, progress=steps.append)
    assert sum(steps) == GENERATE_STEPS
