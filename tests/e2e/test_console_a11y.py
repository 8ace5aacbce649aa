"""Accessibility of the console's main pages: axe-core (pinned, from npm) finds no violation of impact
"serious" or "critical" on any of them; the lesser ones are printed (``pytest -rP`` shows them).

Each page is checked once its data is on screen (a list's table, the contract page's ready mark), in a
fresh browser context, signed in as the local admin (the sign-in page itself signed out)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.console_support import describe, run_axe, sign_in, wait_for_ready_mark

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def contract(admin_http: Any, stack: Any) -> dict[str, Any]:
    """A contract with a course attached and its codes made, so the contract page has every section filled."""
    tag = uuid.uuid4().hex[:8].upper()
    course_id = f"course-v1:UAI_SOURCE+A11Y{tag}"
    assert admin_http.post("/v1/catalog/courses", json={"course_id": course_id, "title": "Access"}).is_success
    assert admin_http.post("/v1/catalog/course-runs", json={"run_id": f"{course_id}+SOURCE"}).is_success
    created = admin_http.post(
        "/v1/contracts",
        json={
            "organization_name": f"Accessible University {tag}",
            "create_organization": True,
            "name": f"Accessible contract {tag}",
            "membership_type": "code",
            "max_learners": 2,
        },
    )
    assert created.status_code == 201, created.text
    body = dict(created.json())
    attached = admin_http.post(f"/v1/contracts/{body['id']}/courseware", json={"courseware_id": course_id})
    assert attached.status_code == 201, attached.text
    assert stack.poller.wait_idle(60)
    return body


# The five main pages, and two forms (where labels and errors live).
PAGES = ["sign-in", "organizations", "contracts", "contract", "catalog", "organization", "new-contract"]


def open_page(page: Any, name: str, contract: dict[str, Any]) -> None:
    """Open the named page and wait until its data is shown."""
    if name == "sign-in":
        page.goto("/console/contracts")
        expect(page.get_by_role("button", name="Sign in as local admin")).to_be_visible()
    elif name == "contract":
        sign_in(page, f"/console/contracts/{contract['id']}")
        wait_for_ready_mark(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(contract["name"])
    elif name == "organization":
        sign_in(page, f"/console/organizations/{contract['organization_id']}")
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        expect(page.get_by_role("table").first).to_be_visible()
    elif name == "new-contract":
        sign_in(page, "/console/contracts/new")
        expect(page.get_by_role("button", name="Create contract")).to_be_visible()
    else:
        sign_in(page, f"/console/{name}")
        expect(page.locator("table").first).to_be_visible()


@pytest.mark.parametrize("name", PAGES)
def test_a_main_page_has_no_serious_accessibility_violation(console_page, contract, name):
    # Given a main page of the console with its data on screen
    open_page(console_page, name, contract)
    # Then it has exactly one h1
    expect(console_page.locator("h1")).to_have_count(1)
    # And axe-core finds nothing serious or critical on it
    violations = run_axe(console_page)
    for violation in violations:
        print(f"{name}: {describe(violation)}")
    blocking = [describe(v) for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], f"{name}: " + "; ".join(blocking)
    assert console_page.uncaught_errors == []


def test_the_check_finds_what_it_should(console_browser):
    # Given a page with an image without text and a button without a name (the check's control case)
    context = console_browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"><button></button></main>')
    # Then axe-core, injected the same way, reports both as critical
    found = {v["id"]: v["impact"] for v in run_axe(page)}
    context.close()
    assert found.get("image-alt") == "critical"
    assert found.get("button-name") == "critical"
