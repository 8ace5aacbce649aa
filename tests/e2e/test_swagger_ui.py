"""Swagger UI in headless Chromium against the local stack: Authorize, then "Try it out" on an admin route.

Needs Debian's ``chromium`` and ``chromium-driver`` (skipped, saying so, when they are absent). With
``B2B_SCREENSHOT=docs/swagger-ui.png`` the screenshot is written there (it is in the README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from b2b_local.tokens import mint_token

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium is not installed (apt-get install chromium chromium-driver): Swagger UI not checked",
)


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must not look for drivers online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_swagger_ui_authorizes_and_calls_an_admin_route(stack, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    # Given Swagger UI opened on the local stack
    browser.get(f"{stack.api_url}/v1/docs")
    authorize = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize")))
    # Then it shows the Authorize button and the operations of all three APIs
    assert authorize.is_displayed()
    shot = Path(os.environ.get("B2B_SCREENSHOT") or tmp_path / "swagger-ui.png")
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    labels = {
        e.get_attribute("data-path") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/v1/contracts", "/v1/checkout/validate", "/v1/me/contracts"} <= labels

    # When an admin token is entered through Authorize
    authorize.click()
    field = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux input[type=text]")))
    field.send_keys(mint_token("swagger-admin", admin=True))
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux button.btn-done").click()

    # And "Try it out" runs GET /v1/organizations
    operation = browser.find_element(
        By.ID, "operations-organizations-list_organizations_v1_organizations_get"
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, "button.try-out__btn"))[0].click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, "button.execute"))[0].click()

    # Then the call carried the token and the API answered 200
    status = wait.until(
        lambda _: operation.find_elements(
            By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
        )
    )[0]
    assert status.text.strip().startswith("200"), status.text
