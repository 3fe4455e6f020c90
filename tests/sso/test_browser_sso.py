"""Headless Chromium against a real OpenID provider (npm ``oidc-provider``) on loopback.

Covers: sign-in through the provider's own login page landing on the dashboards with the mapped
role, refusal of a person in no mapped group, sign-out ending the provider session
(RP-initiated logout), and sign-in still working after the provider rotates its signing key.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lrs.app import create_app
from lrs.extensions import services
from tests.browser_nav import click_and_wait
from tests.conftest import FakeClock, make_store
from tests.dashboards.conftest import CHROMIUM, DRIVER
from tests.dashboards.conftest import driver as driver
from tests.dashboards.conftest import planted as planted
from tests.dashboards.fixture_warehouse import Fixture
from tests.sso.conftest import serve_later, sso_settings
from tests.sso.fake_provider import CLIENT_ID, CLIENT_SECRET
from tests.sso.oidc_provider import OpenIdProvider

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "sso"
ACCOUNTS = {
    "alice": {"name": "Alice Quality", "email": "alice@hospital.test", "groups": ["lrs-quality"]},
    "bob": {"name": "Bob Porter", "email": "bob@hospital.test", "groups": ["facilities"]},
    "carol": {
        "name": "Carol Ward",
        "email": "carol@hospital.test",
        "groups": ["ward-d1-managers", "facilities"],
    },
}

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="Debian chromium + chromium-driver not installed (run `make browsers` as root)",
)


class Site:
    """The LRS and the provider, both on loopback, wired to each other."""

    def __init__(self, base: str, app: Flask, provider: OpenIdProvider) -> None:
        self.base, self.app, self.provider = base, app, provider

    def audit(self, action: str) -> list[Any]:
        entries = services(self.app).store.list_audit(limit=1000)
        return [e for e in entries if e.action == action]


@pytest.fixture(scope="module")
def site(
    provider_home: Path, planted: Fixture, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("sso")
    store = make_store("sqlite", tmp)
    with serve_later() as (base, dispatch):
        client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{base}/dashboards/oidc/callback"],
            "post_logout_redirect_uris": [f"{base}/dashboards/sign-in"],
        }
        provider = OpenIdProvider(provider_home, tmp, client, ACCOUNTS)
        provider.start()
        try:
            settings = sso_settings(tmp, provider.issuer, warehouse_path=str(planted.path))
            dispatch.app = create_app(settings, store=store, clock=FakeClock())
            yield Site(base, dispatch.app, provider)
        finally:
            provider.stop()
            store.close()


def _wait_load(drv: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 60).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def _click_and_wait(drv: Any, css: str) -> None:
    from selenium.webdriver.common.by import By

    click_and_wait(drv, drv.find_element(By.CSS_SELECTOR, css))


def _wait_for(drv: Any, css: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 60).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    _wait_load(drv)


def _fresh(drv: Any, site: Site) -> None:
    """Forget every cookie (both servers are 127.0.0.1: cookies ignore the port)."""
    drv.get(f"{site.base}/dashboards/sign-in")
    drv.delete_all_cookies()


def _sign_in_at_provider(drv: Any, site: Site, login: str) -> None:
    """From the LRS sign-in page, through the provider's own login form."""
    from selenium.webdriver.common.by import By

    drv.get(f"{site.base}/dashboards/sign-in")
    _wait_load(drv)
    _click_and_wait(drv, "a.sign-in-provider")
    assert drv.current_url.startswith(site.provider.issuer), drv.current_url
    drv.find_element(By.NAME, "login").send_keys(login)
    drv.find_element(By.NAME, "password").send_keys("any password")
    _click_and_wait(drv, "button[type=submit]")


def test_mapped_person_signs_in_and_sign_out_ends_provider_session(driver: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _fresh(driver, site)
    _sign_in_at_provider(driver, site, "alice")
    assert driver.current_url.startswith(f"{site.base}/dashboards/"), driver.current_url
    who = driver.find_element(By.CSS_SELECTOR, ".who").text
    assert who == "Alice Quality (viewer, staff; all units)"  # lrs-quality -> viewer + staff
    driver.save_screenshot(str(ARTIFACTS / "signed-in.png"))
    signed_in = site.audit("people.sign_in")
    assert signed_in[-1].detail["method"] == "oidc"
    assert signed_in[-1].detail["roles"] == ["viewer", "staff"]

    _click_and_wait(driver, "form.signout button[type=submit]")
    # our "signed out" page forwards the browser to the provider's logout confirmation
    _wait_for(driver, "button[name=logout][value=yes]")
    assert driver.current_url.startswith(f"{site.provider.issuer}/session/end"), driver.current_url
    driver.save_screenshot(str(ARTIFACTS / "provider-logout.png"))
    _click_and_wait(driver, "button[name=logout][value=yes]")
    assert driver.current_url.startswith(f"{site.base}/dashboards/sign-in"), driver.current_url
    assert site.audit("people.sign_out")
    driver.get(f"{site.base}/dashboards/")
    assert "/dashboards/sign-in" in driver.current_url  # our session is over
    # the provider's session is over too: it asks for a login again instead of passing through
    _click_and_wait(driver, "a.sign-in-provider")
    assert driver.find_elements(By.NAME, "login"), driver.current_url


def test_unmapped_person_is_refused_with_a_clear_page(driver: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _fresh(driver, site)
    before = len(site.audit("people.sign_in_refused"))
    _sign_in_at_provider(driver, site, "bob")
    text = driver.find_element(By.CSS_SELECTOR, ".message").text
    assert "Bob Porter" in text and "none of your groups gives access" in text
    blocked = [e for e in driver.get_log("browser") if e.get("source") == "security"]
    assert blocked == []  # the refusal page is styled like the rest (CSP allows its CSS)
    driver.save_screenshot(str(ARTIFACTS / "refused.png"))
    refused = site.audit("people.sign_in_refused")
    assert len(refused) == before + 1 and refused[-1].actor == "bob@hospital.test"
    driver.get(f"{site.base}/dashboards/")
    assert "/dashboards/sign-in" in driver.current_url


def test_unit_manager_group_maps_to_one_department(driver: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By

    _fresh(driver, site)
    _sign_in_at_provider(driver, site, "carol")
    who = driver.find_element(By.CSS_SELECTOR, ".who").text
    assert who == "Carol Ward (viewer; Ward A)"  # ward-d1-managers (D1, named); facilities unmapped
    driver.get(f"{site.base}/dashboards/department/D1")
    assert driver.find_elements(By.CSS_SELECTOR, "h1")
    assert "Ward A" in driver.find_element(By.CSS_SELECTOR, "h1").text
    driver.get(f"{site.base}/dashboards/department/D2")
    assert driver.title.startswith("Not allowed")
    assert "outside the units you may see" in driver.find_element(By.TAG_NAME, "body").text


def test_sign_in_survives_signing_key_rotation(driver: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By

    _fresh(driver, site)
    _sign_in_at_provider(driver, site, "alice")  # the LRS now holds the first key set
    assert driver.find_elements(By.CSS_SELECTOR, ".who")
    old_kid = site.provider.keys[0]["kid"]

    site.provider.restart()  # same issuer and port, a brand-new signing key
    new_kid = site.provider.keys[0]["kid"]
    assert new_kid != old_kid
    _fresh(driver, site)
    _sign_in_at_provider(driver, site, "alice")
    assert driver.current_url.startswith(f"{site.base}/dashboards/"), driver.current_url
    assert "Alice Quality" in driver.find_element(By.CSS_SELECTOR, ".who").text
    sessions = site.audit("people.sign_in")
    assert len(sessions) >= 2
