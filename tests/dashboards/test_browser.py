"""Headless Chromium: every page loads cleanly, the heatmap clicks through, screenshots saved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser_nav import click_and_wait
from tests.dashboards.conftest import CHROMIUM, DRIVER
from tests.live import serve

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboards"
PAGES = {
    "overview": "/dashboards/",
    "heatmap": "/dashboards/heatmap",
    "heatmap-readiness": "/dashboards/heatmap?metric=readiness",
    "department": "/dashboards/department/D1",
    "expiry": "/dashboards/expiry",
    "protocols": "/dashboards/protocols",
    "content": "/dashboards/content",
    "safety": "/dashboards/safety",
    "alerts": "/dashboards/alerts",
}

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="Debian chromium + chromium-driver not installed (run `make browsers` as root)",
)


def _sign_in(drv: Any, base: str, key: str, secret: str) -> None:
    from selenium.webdriver.common.by import By

    drv.get(f"{base}/dashboards/sign-in")
    drv.find_element(By.CSS_SELECTOR, "details.key-sign-in summary").click()  # admin fallback
    drv.find_element(By.ID, "key").send_keys(key)
    drv.find_element(By.ID, "secret").send_keys(secret)
    # the click submits a form; wait for the next page instead of racing its load
    click_and_wait(drv, drv.find_element(By.ID, "key-sign-in"))


def _wait_figures(drv: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 60).until(
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('[data-figure]'))"
            ".every(e => e.getAttribute('data-ready') === 'true')"
        )
    )


def _click_cell(drv: Any, row: int, col: int) -> None:
    """A real mouse click at the centre of heatmap cell (row, col)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    x, y = drv.execute_script(
        "const el = document.querySelector('#fig-heatmap');"
        "el.scrollIntoView({block: 'start'});"
        "const fl = el._fullLayout, r = el.getBoundingClientRect();"
        "return [r.left + fl.xaxis._offset + fl.xaxis.l2p(arguments[1]),"
        "        r.top + fl.yaxis._offset + fl.yaxis.l2p(arguments[0])];",
        row,
        col,
    )
    actions = ActionChains(drv)
    builder = ActionBuilder(drv)
    builder.pointer_action.move_to_location(int(x), int(y))
    builder.pointer_action.click()
    builder.perform()
    actions.reset_actions()


def _severe(drv: Any) -> list[Any]:
    return [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


def test_pages_heatmap_and_refusal(
    driver: Any, dash_app: Flask, add_credential: Callable[..., tuple[str, str]]
) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    staff = add_credential("analytics/staff")
    writer = add_credential("statements/write", "all")
    with serve(dash_app) as base:
        _sign_in(driver, base, *writer)
        message = driver.find_element(By.CSS_SELECTOR, ".message").text
        assert "no analytics scope" in message
        driver.get(f"{base}/dashboards/heatmap")
        assert "/dashboards/sign-in" in driver.current_url
        driver.save_screenshot(str(ARTIFACTS / "refused.png"))
        driver.get_log("browser")  # the refused sign-in logs a 403: not a page error

        _sign_in(driver, base, *staff)
        for name, path in PAGES.items():
            driver.get(base + path)
            _wait_figures(driver)
            assert not _severe(driver), (name, _severe(driver))
            assert driver.find_elements(By.CSS_SELECTOR, "h1")

        driver.get(f"{base}/dashboards/heatmap")
        _wait_figures(driver)
        cells = driver.execute_script(
            "const el = document.querySelector('#fig-heatmap');"
            "return [el.data[0].z.flat().filter(v => v !== null).length,"
            " el.data.slice(2).map(t => [t.name, t.x.length]),"
            " document.querySelectorAll('#fig-heatmap .hm').length,"
            " document.querySelectorAll('#fig-heatmap .scatterlayer .point').length];"
        )
        assert cells[0] > 10  # coloured cells
        markers = {name.split(" ")[0]: n for name, n in cells[1]}
        assert all(markers[k] >= 1 for k in ("P", "D", "L", "U", "?")), markers
        assert cells[3] >= 5  # marker points drawn in the SVG
        meta = driver.execute_script("return document.querySelector('#fig-heatmap').layout.meta;")
        _click_cell(driver, row=0, col=1)
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 60).until(lambda d: "/dashboards/department/" in d.current_url)
        assert f"/dashboards/department/{meta['departments'][0]}" in driver.current_url
        assert f"competency={meta['competencies'][1]}" in driver.current_url
        _wait_figures(driver)
        assert not _severe(driver)
