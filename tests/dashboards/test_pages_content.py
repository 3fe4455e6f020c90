"""What the pages say (issue 15): 404s, plain reasons, the model contract, older warehouses."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.dashboards.conftest import make_app, sign_in
from tests.dashboards.fixture_warehouse import Fixture, build
from tests.dashboards.test_pages import PAGES


def _panel(html: str, panel: str) -> str:
    """One panel's HTML, table tags without attributes (wide tables carry card roles/labels)."""
    found = re.search(rf'<section class="[^"]*" id="panel-{panel}".*?</section>', html, re.S)
    assert found, panel
    return re.sub(r"<(table|thead|tbody|tr|th|td)\s[^>]*>", r"<\1>", found.group(0))


def test_root_redirects_to_the_dashboards(dash_app: Flask) -> None:
    resp = dash_app.test_client().get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dashboards/")


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/dashboards/department/NOPE", "no department with the id &#39;NOPE&#39;"),
        ("/dashboards/expiry?task_id=nope", "no regulated task with the id &#39;nope&#39;"),
        ("/dashboards/clearance.csv?task_id=nope", "no regulated task with the id &#39;nope&#39;"),
    ],
)
def test_unknown_ids_are_a_404_page_naming_what_was_not_found(
    mod_staff: FlaskClient, path: str, what: str
) -> None:
    resp = mod_staff.get(path)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "<h1>Not found</h1>" in html and what in html
    assert "<table" not in html  # never another task's clearance list


def test_overview_lists_new_flags_with_reasons_and_links(
    mod_reader: FlaskClient, planted: Fixture
) -> None:
    html = mod_reader.get("/dashboards/").get_data(as_text=True)
    changes = _panel(html, "changes")
    assert "Ward A · Competency 2" in changes  # Priority, was Declining: escalated
    assert "Ward C · Competency 3" in changes  # Low, was OK
    assert "Ward B · Competency 1" not in changes  # Declining for months: not new
    assert "3 more staff lapsed than the baseline predicts" in changes
    assert 'href="department/D1?competency=C2"' in changes
    assert html.index('id="panel-changes"') < html.index('id="panel-overview-compliance"')
    assert "Time to red" in _panel(html, "near-red")


def test_readiness_is_never_weakest_for_a_certificate_only_competency(
    mod_reader: FlaskClient, planted: Fixture
) -> None:
    html = mod_reader.get("/dashboards/").get_data(as_text=True)
    tile = re.search(
        r'Readiness</div>\s*<div class="value">([^<]+)</div>\s*<div class="detail">'
        r"([^<]+)</div>",
        html,
    )
    assert tile, html[:2000]
    assert "Competency 5" not in tile.group(2) and "95%" in tile.group(2)
    value = float(tile.group(1).strip().rstrip("%"))
    assert 60 < value < 95  # cert-only NULLs are left out, not counted as 0 %
    heat = mod_reader.get("/dashboards/heatmap?metric=readiness").get_data(as_text=True)
    assert '"no test"' in heat and "no assessment evidence (certificate only)" in heat


def test_heatmap_hover_and_table_give_reasons_not_method_names(mod_reader: FlaskClient) -> None:
    html = mod_reader.get("/dashboards/heatmap").get_data(as_text=True)
    assert "Mann-Kendall" not in _panel(html, "heatmap").split("How this is computed")[0]
    assert "3 more staff lapsed" in html and "How this is computed" in html
    ranked = _panel(html, "heatmap")
    first = re.search(r'<ol class="ranked">\s*<li><span class="flag">(\w+)', ranked)
    assert first and first.group(1) == "Priority"


def test_staff_rows_show_the_readiness_band_or_its_absence(
    mod_staff: FlaskClient, planted: Fixture
) -> None:
    html = mod_staff.get("/dashboards/department/D1").get_data(as_text=True)
    staff = _panel(html, "staff")
    assert "Readiness 95% / state" in staff
    assert "<td>Competency 5</td><td>" in staff and "no assessment evidence" in staff
    assert re.search(r"<td>\d+-\d+ %</td>", staff)


def test_thin_data_says_so_in_the_drill_down(mod_reader: FlaskClient, planted: Fixture) -> None:
    html = mod_reader.get(f"/dashboards/department/{planted.tiny}").get_data(as_text=True)
    assert "Thin data: at most 4 staff" in html
    calm = mod_reader.get("/dashboards/department/D1").get_data(as_text=True)
    assert "Thin data" not in calm


def test_content_names_courses_from_competencies_when_no_definition(
    mod_reader: FlaskClient,
) -> None:
    html = mod_reader.get("/dashboards/content").get_data(as_text=True)
    rows = re.findall(r"<tr><td>([^<]+)</td>", _panel(html, "activities"))
    assert sorted(rows) == [f"Competency {i}" for i in range(1, 6)]


def test_safety_shows_the_contract_plainly(mod_reader: FlaskClient) -> None:
    html = mod_reader.get("/dashboards/safety").get_data(as_text=True)
    assert "1.18 (1.02 to 1.37)" in html
    missing = _panel(html, "not-estimable")
    assert "Only 3 events in 120 department-months." in missing
    assert "Incident category &#39;other&#39; has no crosswalk" in html  # model_warnings
    assert "negative control" in _panel(html, "linkage")


def test_an_older_warehouse_renders_every_page_without_nonsense(
    store: Any, clock: Any, tmp_path: Path, add_credential: Callable[..., tuple[str, str]]
) -> None:
    fx = build(tmp_path / "old" / "warehouse.duckdb", contract=False)
    app = make_app(store, clock, tmp_path, fx.path)
    client = app.test_client()
    sign_in(client, *add_credential("analytics/staff"))
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    html = client.get("/dashboards/safety").get_data(as_text=True)
    assert "did not converge" in html and "e+31" not in html and "<td>inf</td>" not in html
    assert "21000000000000000" not in html


def test_rates_use_the_established_denominator_when_the_model_writes_it(
    mod_reader: FlaskClient, planted: Fixture
) -> None:
    import duckdb

    with duckdb.connect(str(planted.path), read_only=True) as con:
        est, req = con.execute(
            "SELECT sum(n_established), sum(n_required) FROM dept_competency_month "
            "WHERE department_id = 'D1' AND month = (SELECT max(month) FROM dept_competency_month)"
        ).fetchone() or (0, 0)
    assert est < req  # the fixture onboards one new hire per larger cell
    table = _panel(mod_reader.get("/dashboards/").get_data(as_text=True), "overview-compliance")
    row = re.search(r"<tr><td>Ward A</td>(.*?)</tr>", table, re.S)
    assert row and f"<td>{est}</td>" in row.group(1) and f"<td>{req}</td>" not in row.group(1)


def test_flag_reasons_drop_the_codes_the_label_already_names() -> None:
    from dashboards.queries.readiness import readable_reason

    raw = "D03 / sepsis: 4 of 9 sepsis renewals due since 2025-01 are still open."
    assert readable_reason(raw, "D03", "sepsis", "Sepsis Recognition") == (
        "4 of 9 Sepsis Recognition renewals due since 2025-01 are still open."
    )
    fixture = "PRIORITY in D1 / C2: 3 more staff lapsed than the baseline predicts."
    assert readable_reason(fixture, "D1", "C2", "Competency 2") == (
        "3 more staff lapsed than the baseline predicts."
    )
    assert readable_reason("C20 is not C2.", "D1", "C2", "Two") == "C20 is not Two."
    assert readable_reason(None, "D1", "C2", "Two") is None


def test_flagged_cells_and_new_flags_read_without_codes(mod_reader: FlaskClient) -> None:
    for path, panel in (("/dashboards/", "changes"), ("/dashboards/heatmap", "heatmap")):
        items = _panel(mod_reader.get(path).get_data(as_text=True), panel).split("</h3>")[-1]
        reasons = re.findall(r'<span class="reason">([^<]*)</span>', items)
        assert reasons and all(" / C" not in r and "PRIORITY in" not in r for r in reasons), reasons


def test_flagged_cells_show_their_interval_and_n(mod_reader: FlaskClient) -> None:
    ranked = _panel(mod_reader.get("/dashboards/heatmap").get_data(as_text=True), "heatmap")
    first = re.search(r'<ol class="ranked">\s*<li>.*?<a href="[^"]*">([^<]+)</a>', ranked, re.S)
    assert first, ranked[:500]
    assert re.search(r"— \d+% \(95% CI \d+ to \d+%, n \d+\)$", first.group(1)), first.group(1)


def test_compliance_tile_gives_its_counts(mod_reader: FlaskClient) -> None:
    html = mod_reader.get("/dashboards/").get_data(as_text=True)
    tile = re.search(r'Compliance</div>.*?<div class="detail">([^<]+)</div>', html, re.S)
    assert tile and re.match(r"[\d,]+ of [\d,]+ required · target 90%", tile.group(1)), tile


def test_each_protocol_change_says_how_far_along_it_is(mod_reader: FlaskClient) -> None:
    import datetime as dt

    import polars as pl

    from dashboards.views.expiry import burn_status

    last = pl.DataFrame({"share": [0.5, 0.0, None], "required": [10, 10, 0]})
    day = dt.date(2026, 1, 31)
    assert burn_status(last, day, dt.date(2026, 2, 20)) == (
        "25% of 20 required staff retrained; due in 20 days"
    )
    assert burn_status(last, day, dt.date(2026, 1, 30)).endswith("; due 1 day ago")
    assert burn_status(last, day, None).endswith("; no retraining window set")
    html = mod_reader.get("/dashboards/protocols").get_data(as_text=True)
    title = re.search(r'<h2 id="h-burn-0">([^<]+)</h2>', html)
    assert title and re.search(r"— \d+% of \d+ required staff retrained; due in \d+ days", title[1])


def test_safety_puts_the_primary_estimates_first_with_their_intervals(
    mod_reader: FlaskClient,
) -> None:
    html = mod_reader.get("/dashboards/safety").get_data(as_text=True)
    tiles = re.search(r'<section class="tiles".*?</section>', html, re.S)
    assert tiles and html.index('class="tiles"') < html.index('id="panel-funnel"')
    values = re.findall(r'<div class="value">IRR ([\d.]+)', tiles[0])
    assert values == ["1.18", "1.04"], values  # the two primaries; no secondary or control
    assert "95% CI 1.02 to 1.37 per 10 pp compliance gap" in tiles[0]
    assert "Association, not causation." in tiles[0]
