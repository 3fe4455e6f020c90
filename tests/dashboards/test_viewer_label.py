"""The page header names a person's units in words ("Ward B, Ward C"), never scope codes."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from dashboards.viewer_label import shorten, unit_names
from statements.people import Scope
from tests.dashboards.fixture_warehouse import Fixture
from tests.security.people_helpers import add_person, people_app, sign_in

WHO = re.compile(r'<span class="who" title="([^"]*)">([^<]*)</span>')


def test_units_are_named_and_long_lists_cut_after_two() -> None:
    names = {"D2": "Ward B", "D3": "Ward C"}
    assert unit_names(Scope(all=True), names) == ["all units"]
    assert unit_names(Scope(departments=("D3", "D2", "D9")), names) == ["D9", "Ward B", "Ward C"]
    assert unit_names(Scope(sites=("North",), service_lines=("Medicine",)), {}) == [
        "North site",
        "Medicine service line",
    ]
    assert shorten(["Ward B", "Ward C", "Ward D"]) == "Ward B, Ward C, Ward D"
    assert shorten(["Ward A", "Ward B", "Ward C", "Ward D"]) == "Ward A, Ward B and 2 more"


def _header(
    store: Any, clock: Any, tmp_path: Path, planted: Fixture, scope: Scope
) -> tuple[str, str]:
    app = people_app(store, clock, tmp_path, planted.path)
    add_person(app, "lead@example.org", ("staff",), scope)
    client = app.test_client()
    assert sign_in(client, "lead@example.org").status_code == 303
    page = client.get("/dashboards/department/D2")  # and on a refusal page alike
    found = WHO.search(page.get_data(as_text=True))
    assert found is not None
    return html.unescape(found.group(2)), html.unescape(found.group(1))


def test_header_names_the_persons_units(
    store: Any, clock: Any, tmp_path: Path, planted: Fixture
) -> None:
    shown, full = _header(store, clock, tmp_path, planted, Scope(departments=("D2", "D3")))
    assert shown == "lead (staff; Ward B, Ward C)", shown
    assert "department:" not in full and "D2" not in full


def test_header_cuts_a_long_unit_list_and_keeps_it_whole_in_the_title(
    store: Any, clock: Any, tmp_path: Path, planted: Fixture
) -> None:
    scope = Scope(departments=("D1", "D2", "D3", "D4", "D5"), sites=("North",))
    shown, full = _header(store, clock, tmp_path, planted, scope)
    assert shown == "lead (staff; North site, Ward A and 4 more)", shown
    assert full == "lead (staff; North site, Ward A, Ward B, Ward C, Ward D, Ward E)", full
