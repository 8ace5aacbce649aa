"""The web console in headless Chromium against the local stack, as an operator uses it: sign in, set
up a contract with a course, watch its codes appear and export them; a field's validation error; an API
error; a shared link; paging a list.

Elements are found by role and accessible name (see the console's "Test hooks" in console/README.md).
With ``B2B_SCREENSHOT_DIR`` set, the operator's flow leaves ``console-contract.png`` of the contract
page there (``docs/console-contract.png`` in the README is one).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.console_support import sign_in, wait_for_ready_mark

CODES_WAIT_MS = 60_000
# More than one page of the console's contracts list (50 a page).
PAGED_CONTRACTS = 56


def section(page: Any, heading: str) -> Any:
    """The contract page's ``<section>`` under the h2 ``heading``."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, level=2))


def all_codes(admin_http: Any, contract_id: int) -> set[str]:
    """The contract's codes as the API lists them, every page."""
    codes: set[str] = set()
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        answer = admin_http.get(f"/v1/contracts/{contract_id}/codes", params=params)
        assert answer.status_code == 200, answer.text
        codes |= {item["code"] for item in answer.json()["items"]}
        cursor = answer.json()["next_cursor"]
        if not cursor:
            return codes


def record_progress(page: Any) -> None:
    """Record every state of every progress bar the page shows from now on (a long action's bar may
    come and go between two looks)."""
    page.evaluate(
        """() => {
            window.progressSeen = [];
            const look = () => document.querySelectorAll('[role=progressbar]').forEach((bar) =>
                window.progressSeen.push({
                    label: bar.getAttribute('aria-label'),
                    now: Number(bar.getAttribute('aria-valuenow')),
                    max: Number(bar.getAttribute('aria-valuemax')),
                }));
            new MutationObserver(look).observe(document.body, {subtree: true, childList: true, attributes: true});
        }"""
    )


def named(admin_http: Any, name: str) -> list[int]:
    """Ids of the organizations called ``name`` (the API's search, then an exact match)."""
    found = admin_http.get("/v1/organizations", params={"q": name, "limit": 100})
    assert found.status_code == 200, found.text
    return [item["id"] for item in found.json()["items"] if item["name"] == name]


def create_contract(admin_http: Any, name: str, organization_name: str, **fields: Any) -> dict[str, Any]:
    created = admin_http.post(
        "/v1/contracts",
        json={
            "organization_name": organization_name,
            "create_organization": True,
            "name": name,
            "membership_type": "code",
        }
        | fields,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def only_local_requests(page: Any, origin: str) -> list[str]:
    """Requests the page made to anywhere but the local stack (the console loads nothing from a CDN)."""
    return [url for url in page.requests if not url.startswith((origin, "data:", "blob:"))]


def test_an_operator_sets_up_a_contract_and_exports_its_codes(console_page, admin_http, stack, unique):
    page = console_page
    course_id = f"course-v1:UAI_SOURCE+WEB{unique}"
    org_name = f"Console University {unique}"
    contract_name = f"Console contract {unique}"

    # Given an operator signed in as the local admin (the token lives in the page's memory: from here on
    # they move by links, as a reload would ask them to sign in again)
    sign_in(page)

    # When they register a course and its SOURCE run in the catalog
    main = page.get_by_role("navigation", name="Main")
    main.get_by_role("link", name="Catalog").click()
    page.get_by_role("navigation", name="Catalog").get_by_role("link", name="Courses").click()
    page.get_by_label("Course id", exact=True).fill(course_id)
    page.get_by_label("Title", exact=True).fill("Calculus on the web")
    page.get_by_role("button", name="Register course").click()
    expect(page.get_by_role("cell", name=course_id, exact=True).first).to_be_visible()
    page.get_by_role("navigation", name="Catalog").get_by_role("link", name="Runs").click()
    page.get_by_label("Run id", exact=True).fill(f"{course_id}+SOURCE")
    page.get_by_label("Title", exact=True).fill("Calculus on the web (source)")
    page.get_by_role("button", name="Register run").click()
    # Then the runs list shows it, marked as the course's source run
    expect(page.get_by_role("row").filter(has_text=f"{course_id}+SOURCE")).to_contain_text("source run")

    # And create an organization, first with an org key the API refuses
    main.get_by_role("link", name="Organizations").click()
    page.get_by_role("link", name="New organization").click()
    page.get_by_label("Name", exact=True).fill(org_name)
    org_key = page.get_by_label("Org key", exact=True)
    org_key.fill("not a key")
    page.get_by_role("button", name="Create organization").click()

    # Then the API's message for that field is shown next to it, and tied to it for screen readers
    expect(org_key).to_have_attribute("aria-invalid", "true")
    described_by = org_key.get_attribute("aria-describedby")
    assert described_by, "the invalid field points at no error text"
    described = [page.locator(f"[id='{ref}']").inner_text() for ref in described_by.split()]
    assert any("should match pattern" in text for text in described), described
    expect(page).to_have_url(re.compile(r"/console/organizations/new$"))
    assert named(admin_http, org_name) == [], "a refused organization was written"

    # When they correct it and create the organization, then a contract for it
    org_key.fill(f"WEB{unique}")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(org_name)
    org_id = int(re.search(r"/console/organizations/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    stored_org = admin_http.get(f"/v1/organizations/{org_id}").json()
    assert (stored_org["name"], stored_org["org_key"]) == (org_name, f"WEB{unique}")
    assert named(admin_http, org_name) == [org_id]
    main.get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name="New contract").click()
    page.get_by_label("Organization", exact=True).select_option(label=org_name)
    page.get_by_label("Name", exact=True).fill(contract_name)
    page.get_by_label("Membership type").select_option("code")
    page.get_by_label("Max learners").fill("3")
    page.get_by_role("button", name="Create contract").click()

    # Then the contract page shows it, with no seat taken of three
    expect(page.get_by_role("heading", level=1)).to_have_text(contract_name)
    contract_id = int(re.search(r"/console/contracts/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    stored = admin_http.get(f"/v1/contracts/{contract_id}").json()
    assert (stored["name"], stored["membership_type"], stored["max_learners"]) == (contract_name, "code", 3)
    wait_for_ready_mark(page)
    expect(section(page, "Seats")).to_contain_text("0 / 3")

    # When the course is attached
    courseware = section(page, "Courseware")
    courseware.get_by_label("Courseware id").fill(course_id)
    courseware.get_by_role("button", name="Attach").click()

    # Then its contract run is listed, and the reconciler's three codes appear in the codes table
    expect(courseware.get_by_role("button", name="Detach")).to_have_count(1)
    codes_table = section(page, "Codes").locator("table tbody tr")
    expect(codes_table).to_have_count(3, timeout=CODES_WAIT_MS)
    shown = {codes_table.nth(i).locator("td").first.inner_text().strip() for i in range(3)}
    api_codes = all_codes(admin_http, contract_id)
    assert shown == api_codes

    if os.environ.get("B2B_SCREENSHOT_DIR"):
        shot = Path(os.environ["B2B_SCREENSHOT_DIR"]) / "console-contract.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

    # When they export the codes to CSV
    record_progress(page)
    with page.expect_download(timeout=CODES_WAIT_MS) as download:
        section(page, "Codes").get_by_role("button", name="Export CSV").click()
    saved = Path(download.value.path())

    # Then the export showed its progress out of the three codes, and says what it saved
    seen = page.evaluate("() => window.progressSeen")
    assert {bar["label"] for bar in seen} >= {"Waiting for codes", "Exporting codes"}, seen
    assert {bar["max"] for bar in seen if bar["label"] == "Exporting codes"} == {3}, seen
    assert all(0 <= bar["now"] <= bar["max"] for bar in seen), seen
    expect(page.get_by_role("status").filter(has_text="Exported")).to_have_text(
        f"Exported 3 codes to codes-{contract_id}.csv."
    )

    # Then the file holds one row per code the API lists, each code once
    with saved.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert download.value.suggested_filename == f"codes-{contract_id}.csv"
    assert len(rows) == len(api_codes) == 3
    assert {row["Code"] for row in rows} == api_codes
    # And the page loaded nothing from outside the local stack, and raised no uncaught error
    assert only_local_requests(page, stack.api_url) == []
    assert page.uncaught_errors == []


def test_a_shared_contract_link_lands_on_the_contract_after_sign_in(console_page, admin_http, unique):
    # Given a contract, and its console link opened in a browser that is not signed in
    contract = create_contract(admin_http, f"Shared link {unique}", f"Shared University {unique}")
    page = console_page
    page.goto(f"/console/contracts/{contract['id']}")

    # Then it asks for sign-in, remembering where the operator was going
    button = page.get_by_role("button", name="Sign in as local admin")
    expect(button).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/console/signin\?next=%2Fconsole%2Fcontracts%2F{contract['id']}$"))

    # When the operator signs in, they land on that contract
    button.click()
    expect(page).to_have_url(re.compile(rf"/console/contracts/{contract['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Shared link {unique}")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.uncaught_errors == []


def test_an_api_error_is_shown_with_the_apis_message(console_page, admin_http, unique):
    # Given a course already in the catalog
    course_id = f"course-v1:UAI_SOURCE+DUP{unique}"
    assert admin_http.post("/v1/catalog/courses", json={"course_id": course_id}).status_code == 201
    page = console_page
    sign_in(page, "/console/catalog/courses")

    # When the operator registers it again
    page.get_by_label("Course id", exact=True).fill(course_id)
    page.get_by_role("button", name="Register course").click()

    # Then the API's 409 message is announced in an alert
    expect(page.get_by_role("alert")).to_contain_text(f"course {course_id} already exists")
    assert page.uncaught_errors == []


def test_a_list_pages_with_load_more(console_page, admin_http, unique):
    # Given an organization with more contracts than the console shows at once
    first = create_contract(admin_http, f"Paged {unique} 00", f"Paged University {unique}")
    org_id = first["organization_id"]
    names = {first["name"]}
    for i in range(1, PAGED_CONTRACTS):
        created = admin_http.post(
            "/v1/contracts",
            json={"organization_id": org_id, "name": f"Paged {unique} {i:02d}", "membership_type": "code"},
        )
        assert created.status_code == 201, created.text
        names.add(created.json()["name"])
    page = console_page
    sign_in(page, f"/console/contracts?organization_id={org_id}&status=all")

    # Then the filters show what the link asked for
    expect(page.get_by_label("Organization", exact=True)).to_have_value(str(org_id))
    expect(page.get_by_label("Status", exact=True)).to_have_value("all")

    # When the operator pages through the list with "Load more" until it is gone
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    first_page = rows.count()
    assert 0 < first_page < len(names)
    load_more = page.get_by_role("button", name="Load more")
    for _ in range(len(names)):
        if not load_more.is_visible():
            break
        shown = rows.count()
        load_more.click()
        expect(rows).not_to_have_count(shown)
    expect(load_more).to_be_hidden()

    # Then every contract of the organization was listed exactly once
    listed = [rows.nth(i).locator("td, th").first.inner_text().strip() for i in range(rows.count())]
    assert len(listed) == len(names)
    assert {name for name in names if any(name in cell for cell in listed)} == names


def test_deactivating_asks_first_and_only_a_yes_deactivates(console_page, admin_http, unique):
    # Given an open contract on its console page
    contract = create_contract(admin_http, f"Deactivate {unique}", f"Deactivate University {unique}")
    page = console_page
    sign_in(page, f"/console/contracts/{contract['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Deactivate {unique}")
    asked: list[str] = []

    # When the operator presses Deactivate and says no to the question
    def say_no(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.get_by_role("button", name="Deactivate").click()
    # Then nothing changed: the API still has the contract active
    expect(page.get_by_role("button", name="Deactivate")).to_be_enabled()
    assert len(asked) == 1 and "unused codes stop working" in asked[0]
    assert admin_http.get(f"/v1/contracts/{contract['id']}").json()["active"] is True

    # When they press it again and say yes
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()
    # Then the page and the API both show it deactivated
    expect(page.get_by_text("deactivated", exact=True)).to_be_visible()
    assert admin_http.get(f"/v1/contracts/{contract['id']}").json()["active"] is False
    assert page.uncaught_errors == []
