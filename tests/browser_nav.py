"""Wait for a click to load a new page in Selenium, without racing Chromium's DOM teardown.

``expected_conditions.staleness_of`` asks the driver about the old ``<html>`` node. When the
navigation lands between the lookup and the question, chromedriver can answer with a generic
``WebDriverException`` ("Node with given id does not belong to the document") instead of
``StaleElementReferenceException``, and the wait fails instead of succeeding. Marking the old
document's ``window`` and waiting until a document without the mark has finished loading asks
only the page itself, so every answer during the navigation is a plain "not yet".
"""

from __future__ import annotations

from typing import Any

_MARK = "__lrsOldPage"


def _new_page_loaded(drv: Any) -> bool:
    from selenium.common.exceptions import WebDriverException

    try:
        return bool(
            drv.execute_script(
                f"return window.{_MARK} === undefined && document.readyState === 'complete'"
            )
        )
    except WebDriverException:  # the script landed mid-navigation: not loaded yet
        return False


def click_and_wait(drv: Any, element: Any, timeout: float = 60) -> None:
    """Click ``element``, which must navigate, and return once the next page has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    drv.execute_script(f"window.{_MARK} = true")
    element.click()
    WebDriverWait(drv, timeout).until(_new_page_loaded)
