"""Headless Chromium at desk (1400x1000) and phone (390x844) width: what a leader sees.

One browser for the session (``driver`` in test_browser.py), one server per module. Each page is
drawn at both widths, saved as a full-page screenshot under tests/artifacts/dashboards/, checked
for charts that overflow or are crushed, and scanned with axe-core (no serious or critical
violations).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lrs.credentials import new_credential
from lrs.extensions import services
from tests.dashboards.conftest import CHROMIUM, DRIVER
from tests.dashboards.fixture_warehouse import Fixture
from tests.dashboards.test_browser import ARTIFACTS, _severe, _sign_in, _wait_figures
from tests.dashboards.test_browser import PAGES as BROWSER_PAGES
from tests.live import serve

DESK = (1400, 1000)
PHONE = (390, 844)
PAGES = {**BROWSER_PAGES, "not-found": "/dashboards/department/NOPE"}

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="Debian chromium + chromium-driver not installed (run `make browsers` as root)",
)


def _axe_source() -> str:
    import axe_selenium_python

    path = Path(axe_selenium_python.__file__).parent / "node_modules/axe-core/axe.min.js"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(mod_app: Flask, driver: Any, planted: Fixture) -> Iterator[str]:
    """The module app served over HTTP, signed in with ``analytics/staff``; course names known."""
    store = services(mod_app).store
    cred, secret = new_credential("browser", ["analytics/staff"], 1, key="br-staff", secret="s")
    store.add_credential(cred)
    store.upsert_activity_definitions(
        [
            {
                "objectType": "Activity",
                "id": activity,
                "definition": {"name": {"en-US": f"Course {k + 1}: assessment"}},
            }
            for k, activity in enumerate(planted.activities[:3])
        ],
        True,
    )
    with serve(mod_app) as base:
        _size(driver, *DESK)
        _sign_in(driver, base, cred.key, secret)
        yield base
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _size(drv: Any, width: int, height: int) -> None:
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _open(drv: Any, url: str) -> None:
    drv.get(url)
    _settle(drv)


def _settle(drv: Any) -> None:
    """Figures drawn, then two animation frames for re-fits (a scrollbar appearing), drawn."""
    _wait_figures(drv)
    drv.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
    )
    _wait_figures(drv)


def _shot(drv: Any, name: str) -> None:
    """A full-page PNG (beyond the viewport) through the DevTools protocol."""
    import base64

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = drv.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


LAYOUT_PROBE = """
const out = [];
const doc = document.documentElement;
out.push({page: true, scroll: doc.scrollWidth, inner: window.innerWidth});
for (const el of document.querySelectorAll('[data-figure]')) {
  if (!el.offsetParent) { continue; }  // hidden (the phone heatmap shows its ranked list)
  const box = el.parentElement.getBoundingClientRect();
  const svg = el.querySelector('.main-svg').getBoundingClientRect();
  const size = el._fullLayout._size;
  const notes = Array.from(el.querySelectorAll('.annotation-text'))
      .map(n => n.getBoundingClientRect())
      .filter(r => r.width > 0);
  let overlaps = 0;
  for (let i = 0; i < notes.length; i++) {
    for (let j = i + 1; j < notes.length; j++) {
      const a = notes[i], b = notes[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
          && b.top < a.bottom - 1) { overlaps++; }
    }
  }
  // tick labels of one axis must not overlap each other (long names on a crowded axis)
  for (const axis of el.querySelectorAll('.xaxislayer-above, .yaxislayer-above')) {
    const ticks = Array.from(axis.querySelectorAll('text')).map(n => n.getBoundingClientRect())
        .filter(r => r.width > 0);
    for (let i = 1; i < ticks.length; i++) {
      const a = ticks[i - 1], b = ticks[i];
      if (a.left < b.right - 2 && b.left < a.right - 2 && a.top < b.bottom - 2
          && b.top < a.bottom - 2) { overlaps++; }
    }
  }
  // the legend must not sit on the title or an axis title (a plot-relative y does, in short plots)
  const legend = el.querySelector('.legend');
  const lbox = legend ? legend.getBoundingClientRect() : null;
  for (const t of el.querySelectorAll('.gtitle, .xtitle, .ytitle, .y2title')) {
    const r = t.getBoundingClientRect();
    if (lbox && r.width > 0 && lbox.left < r.right - 1 && r.left < lbox.right - 1
        && lbox.top < r.bottom - 1 && r.top < lbox.bottom - 1) { overlaps++; }
  }
  // the figure title starts inside the figure (a wrapped phone title was cut at its top edge)
  const title = el.querySelector('.gtitle');
  const cut = title && title.getBoundingClientRect().width > 0
      && title.getBoundingClientRect().top < svg.top - 1;
  if (cut) { overlaps++; }
  out.push({id: el.id, svg: svg.width, left: svg.left, right: svg.right, boxl: box.left,
            boxr: box.right, plot: size.w, overlaps: overlaps});
}
return out;
"""


# every data table opened: none may need sideways scrolling or clip a column header (a phone
# shows wide tables as cards), then the tables that were closed are closed again
TABLE_PROBE = """
const out = [];
const shut = Array.from(document.querySelectorAll('details.data')).filter(d => !d.open);
shut.forEach(d => { d.open = true; });
for (const box of document.querySelectorAll('details.data .scroll')) {
  if (!box.offsetParent) { continue; }
  const caption = box.querySelector('caption');
  const name = caption ? caption.textContent : box.closest('section').id;
  if (box.scrollWidth > box.clientWidth + 1) {
    out.push(`table '${name}' scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
  }
  for (const th of box.querySelectorAll('th')) {
    const r = th.getBoundingClientRect();
    if (th.closest('thead').getBoundingClientRect().width <= 1) { continue; }  // cards: labels
    if (r.width > 1 && (th.scrollWidth > th.clientWidth + 1 || r.right > box.getBoundingClientRect().right + 1)) {
      out.push(`table '${name}': header '${th.textContent}' clipped`);
    }
  }
}
shut.forEach(d => { d.open = false; });
return out;
"""


def _layout_problems(drv: Any) -> list[str]:
    problems: list[str] = list(drv.execute_script(TABLE_PROBE))
    for row in drv.execute_script(LAYOUT_PROBE):
        if row.get("page"):
            if row["scroll"] > row["inner"] + 1:
                problems.append(f"page scrolls sideways ({row['scroll']} > {row['inner']})")
            continue
        if row["right"] > row["boxr"] + 1 or row["left"] < row["boxl"] - 1:
            problems.append(f"{row['id']} overflows its container: {row}")
        if row["plot"] < 0.45 * row["svg"]:
            problems.append(f"{row['id']} plot area crushed to {row['plot']:.0f} px: {row}")
        if row["overlaps"]:
            problems.append(f"{row['id']} has {row['overlaps']} overlapping or cut titles/labels")
    return problems


def _axe(drv: Any, source: str) -> list[dict[str, Any]]:
    drv.execute_script(source)
    result = drv.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r)));"
    )
    violations: list[dict[str, Any]] = json.loads(result)["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [DESK, PHONE], ids=["desk", "phone"])
def test_every_page_fits_is_accessible_and_is_saved(driver: Any, site: str, width: Any) -> None:
    source = _axe_source()
    _size(driver, *width)
    problems: dict[str, Any] = {}
    tag = "desk" if width == DESK else "phone"
    for name, path in PAGES.items():
        _open(driver, site + path)
        found = _layout_problems(driver) + [f"axe: {v}" for v in _axe(driver, source)]
        found += [f"console: {e['message']}" for e in _severe(driver) if "404" not in e["message"]]
        if found:
            problems[name] = found
        _shot(driver, f"{name}-{tag}")
    assert not problems, json.dumps(problems, indent=1)


def test_content_chart_has_one_named_row_per_course(driver: Any, site: str) -> None:
    _size(driver, *DESK)
    _open(driver, site + "/dashboards/content")
    data = driver.execute_script(
        "const el = document.querySelector('#fig-activities');"
        "return {y: el.data.map(t => t.y), ct: el._fullLayout.xaxis3.range,"
        " pass: el._fullLayout.xaxis.range, mode: el._fullLayout.barmode,"
        " rows: document.querySelectorAll('#panel-activities tbody tr').length};"
    )
    names = data["y"][0]
    assert len(names) == data["rows"] == len(set(names)), names  # one distinct row per course
    assert all(y == names for y in data["y"])
    assert "Course 1" in names and "Competency 4" in names, names  # definition, then competency
    assert not any(n == "assessment" or n.endswith(": assessment") for n in names), names
    assert data["mode"] != "stack"
    assert data["ct"][1] <= 1.0 and data["pass"][1] <= 1.0  # click-through is 0-100 %


def test_unknown_ids_answer_a_page_that_says_what_was_not_found(driver: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    _size(driver, *DESK)
    for path, what in (
        ("/dashboards/department/NOPE", "department with the id 'NOPE'"),
        ("/dashboards/expiry?task_id=nope", "regulated task with the id 'nope'"),
    ):
        driver.get(site + path)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not found"
        assert what in driver.find_element(By.CSS_SELECTOR, ".message").text
        assert not driver.find_elements(By.CSS_SELECTOR, "table")  # no other task's list


def test_scales_show_the_differences_and_flagged_come_first(driver: Any, site: str) -> None:
    _size(driver, *DESK)
    _open(driver, site + "/dashboards/")
    x = driver.execute_script(
        "return document.querySelector('#fig-overview-compliance')._fullLayout.xaxis.range;"
    )
    assert x[0] >= 0.5, x  # departments sit at 80-100 %: the axis does not start at 0
    _open(driver, site + "/dashboards/department/D1")
    fig = driver.execute_script(
        "const el = document.querySelector('#fig-trends');"
        "return {titles: el.layout.annotations.map(a => a.text), y: el._fullLayout.yaxis.range};"
    )
    assert "Priority" in fig["titles"][0] and "Competency 2" in fig["titles"][0], fig["titles"]
    assert "Update" in fig["titles"][1], fig["titles"]
    assert fig["y"][0] > 0.2, fig["y"]


def test_desk_heatmap_lists_flagged_cells_under_the_grid_for_the_keyboard(
    driver: Any, site: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _size(driver, *DESK)
    _open(driver, site + "/dashboards/heatmap")
    grid = driver.find_element(By.CSS_SELECTOR, "#fig-heatmap")
    first = driver.find_element(By.CSS_SELECTOR, "#panel-heatmap ol.ranked li a")
    assert grid.is_displayed() and first.is_displayed()
    assert first.location["y"] > grid.location["y"]  # grid first on a desk
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(60):  # Tab through the page until the first drill-down link has focus
        if driver.switch_to.active_element == first:
            break
        body.send_keys(Keys.TAB) if _ == 0 else driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element == first
    first.send_keys(Keys.ENTER)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: "/dashboards/department/" in d.current_url)


def test_phone_heatmap_is_a_ranked_list_with_a_way_to_the_grid(driver: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    _size(driver, *PHONE)
    _open(driver, site + "/dashboards/heatmap")
    items = driver.find_elements(By.CSS_SELECTOR, "#panel-heatmap ol.ranked li")
    assert items and items[0].is_displayed()
    assert items[0].text.startswith("Priority"), items[0].text
    grid = driver.find_element(By.CSS_SELECTOR, "#fig-heatmap")
    assert not grid.is_displayed()
    driver.find_element(By.CSS_SELECTOR, "button[data-show-grid]").click()
    _settle(driver)
    assert grid.is_displayed()
    assert not [p for p in _layout_problems(driver) if "page scrolls" in p]


def test_phone_folds_the_filter_bar_to_one_line(driver: Any, site: str) -> None:
    """A phone sees the page title near the top (filters one tap away); a desk sees the bar."""
    from selenium.webdriver.common.by import By

    probe = (
        "return {h1: document.querySelector('main h1').getBoundingClientRect().top,"
        " role: document.getElementById('f-role-family').checkVisibility()};"
    )
    _size(driver, *PHONE)
    _open(driver, site + "/dashboards/")
    folded = driver.execute_script(probe)
    assert not folded["role"] and folded["h1"] < 320, folded  # the pickers wait behind a tap
    driver.find_element(By.CSS_SELECTOR, "#filters-box > summary").click()
    assert driver.find_element(By.ID, "f-role-family").is_displayed()
    _size(driver, *DESK)
    _open(driver, site + "/dashboards/")
    assert driver.execute_script(probe)["role"]
    assert not driver.find_element(By.CSS_SELECTOR, "#filters-box > summary").is_displayed()
