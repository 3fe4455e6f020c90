"""Harbor loaded end to end: store path, import validators, ETL into the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analytics.etl import unmatched
from analytics.simulate.harbor import generate
from analytics.simulate.load import load_simulated, manifest_of
from analytics.warehouse import Warehouse
from statements.store.sqlite import SQLiteStore

SECRET = b"harbor-test-key-harbor-test-key!"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "sim"}}


@dataclass
class Loaded:
    directory: Path
    warehouse: Warehouse
    report: dict[str, Any]
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    root = tmp_path_factory.mktemp("harbor-load")
    generate(root / "data", seed=7, staff=110, months=18)
    store = SQLiteStore(root / "lrs.db", synchronous="NORMAL")
    store.init()
    warehouse = Warehouse(root / "wh.duckdb")
    try:
        report = load_simulated(store, warehouse, root / "data", SECRET, AUTHORITY)
    finally:
        store.close()
    return Loaded(root / "data", warehouse, report.as_dict(), manifest_of(root / "data"))


def scalar(loaded: Loaded, sql: str, params: list[Any] | None = None) -> Any:
    with loaded.warehouse.read() as conn:
        row = conn.execute(sql, params or []).fetchone()
    return None if row is None else row[0]


def test_every_statement_and_row_is_loaded_without_errors(loaded: Loaded) -> None:
    assert loaded.report["statements"] == loaded.manifest["counts"]["statements"]
    assert loaded.report["inserted"] == loaded.report["statements"]
    assert set(loaded.report["rejected"].values()) == {0}
    assert loaded.report["imports"]["staff"] == loaded.manifest["counts"]["staff"]


def test_voided_statements_are_removed(loaded: Loaded) -> None:
    voided = loaded.manifest["voided_statement_ids"]
    assert voided
    ids = ", ".join(f"'{v}'" for v in voided)
    assert scalar(loaded, f"SELECT count(*) FROM statements WHERE statement_id IN ({ids})") == 0
    assert scalar(loaded, "SELECT count(*) FROM statements_all WHERE voided") == len(voided)


def test_late_arrivals_are_present_with_their_simulated_stored_time(loaded: Loaded) -> None:
    late = scalar(
        loaded,
        "SELECT count(*) FROM statements "
        "WHERE stored - \"timestamp\" > INTERVAL 19 DAY AND verb_id LIKE '%/passed'",
    )
    assert late > 0
    last = scalar(loaded, "SELECT max(stored) FROM statements_all")
    assert last.date().isoformat() <= loaded.manifest["window"]["end"]


def test_mixed_identities_are_matched_through_the_roster(loaded: Loaded) -> None:
    assert scalar(loaded, "SELECT count(*) FROM statements WHERE person_key IS NULL") == 0
    both = scalar(
        loaded,
        "SELECT count(*) FROM (SELECT person_key FROM statements "
        "GROUP BY person_key HAVING count(DISTINCT actor_key) > 1)",
    )
    assert both > 0
    assert all("lms-admin" in str(u) for u in unmatched(loaded.warehouse))


def test_cert_only_competency_has_no_statements_but_certifications(loaded: Loaded) -> None:
    (cert,) = loaded.manifest["cert_only_competencies"]
    assert scalar(loaded, "SELECT count(*) FROM statements WHERE object_id LIKE '%/bls%'") == 0
    mapped = scalar(
        loaded, "SELECT count(*) FROM activity_competency WHERE competency_id = ?", [cert]
    )
    assert mapped == 0
    cards = scalar(loaded, "SELECT count(*) FROM certifications WHERE competency_id = ?", [cert])
    assert cards > 0


def test_item_statements_name_their_assessment_as_parent(loaded: Loaded) -> None:
    bad = scalar(
        loaded,
        "SELECT count(*) FROM statements WHERE verb_id LIKE '%/answered' "
        "AND NOT starts_with(object_id, parent_ids[1] || '/')",
    )
    items = scalar(loaded, "SELECT count(*) FROM statements WHERE verb_id LIKE '%/answered'")
    assert items > 0 and bad == 0
