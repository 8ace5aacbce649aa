"""Seed 001's quick setups over HTTP on the local stack, as a new operator would run them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest


def register_source_course(admin_http, course_id: str) -> None:
    course = admin_http.post("/v1/catalog/courses", json={"course_id": course_id, "title": "Calculus"})
    assert course.status_code == 201, course.text
    run = admin_http.post(
        "/v1/catalog/course-runs", json={"run_id": f"{course_id}+SOURCE", "title": "Calculus (source)"}
    )
    assert run.status_code == 201, run.text
    assert run.json()["run_tag"] == "SOURCE"


@pytest.mark.parametrize(
    ("membership", "extra", "expected_price"),
    [("sso", {}, "0.00"), ("non-sso", {"max_learners": 200, "price": "49.50"}, "49.50")],
)
def test_quick_setup_contract_with_a_course(stack, admin_http, unique, membership, extra, expected_price):
    # Given a contract created together with a new organization
    contract = admin_http.post(
        "/v1/contracts",
        json={
            "organization_name": f"UniversityX {unique} {membership}",
            "create_organization": True,
            "name": "UniversityX Contract",
            "membership_type": membership,
            "start": "2026-09-01T00:00:00Z",
            "end": "2027-06-30T00:00:00Z",
            "description": "quick setup",
            **extra,
        },
    )
    assert contract.status_code == 201, contract.text
    contract_id = contract.json()["id"]
    org = admin_http.get(f"/v1/organizations/{contract.json()['organization_id']}").json()
    # And a catalog course with a SOURCE run
    course_id = f"course-v1:UAI_SOURCE+18.01x{unique}"
    register_source_course(admin_http, course_id)
    # When the course is attached to the contract
    attached = admin_http.post(f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": course_id})
    assert attached.status_code == 201, attached.text
    assert attached.json()["warnings"] == []
    # Then the contract's courseware lists one run with the expected key and dates, and its product
    listing = admin_http.get(f"/v1/contracts/{contract_id}/courseware")
    assert listing.status_code == 200, listing.text
    [run] = listing.json()["runs"]
    year = datetime.now(UTC).year
    assert run["run_id"] == f"course-v1:UAI_{org['org_key']}+18.01x{unique}+{year}_C{contract_id}"
    assert run["start"].startswith("2026-09-01T00:00:00")
    assert run["end"].startswith("2027-06-30T00:00:00")
    assert run["self_paced"] is True
    assert run["live"] is True
    assert run["source_run_id"] == f"{course_id}+SOURCE"
    assert run["clone_status"] == "not_requested"
    assert run["product"]["price"] == expected_price
    assert run["product"]["active"] is True
    # And attaching the course again changes nothing
    again = admin_http.post(f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": course_id})
    assert again.status_code == 200, again.text
    assert again.json()["created_runs"] == []
    assert len(admin_http.get(f"/v1/contracts/{contract_id}/courseware").json()["runs"]) == 1
    stack.poller.wait_idle()


def test_a_run_of_another_contract_and_bad_ids(admin_http, unique):
    contracts = []
    for name in ("A", "B"):
        created = admin_http.post(
            "/v1/contracts",
            json={
                "organization_name": f"Runs {unique} {name}",
                "create_organization": True,
                "name": name,
                "membership_type": "code",
            },
        )
        assert created.status_code == 201, created.text
        contracts.append(created.json()["id"])
    course_id = f"course-v1:UAI_SOURCE+R{unique}"
    register_source_course(admin_http, course_id)
    run_id = f"{course_id}+SOURCE"
    first = admin_http.post(f"/v1/contracts/{contracts[0]}/courseware", json={"courseware_id": run_id})
    assert first.status_code == 201, first.text
    # A run already in contract A cannot be attached to contract B
    second = admin_http.post(f"/v1/contracts/{contracts[1]}/courseware", json={"courseware_id": run_id})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "course_run_assigned"
    assert admin_http.get(f"/v1/contracts/{contracts[1]}/courseware").json()["runs"] == []
    # A malformed id names the field
    bad = admin_http.post(f"/v1/contracts/{contracts[1]}/courseware", json={"courseware_id": "18.01x"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "courseware_id"
    # Detaching (the id percent-encoded in the path) unlinks the run
    detached = admin_http.delete(f"/v1/contracts/{contracts[0]}/courseware/{quote(run_id, safe='')}")
    assert detached.status_code == 200, detached.text
    assert detached.json()["unlinked_runs"] == [run_id]
    assert admin_http.get(f"/v1/contracts/{contracts[0]}/courseware").json()["runs"] == []


def test_catalog_lists_page_with_cursors(admin_http, unique):
    for i in range(3):
        created = admin_http.post("/v1/catalog/courses", json={"course_id": f"course-v1:PAGE+C{i}{unique}"})
        assert created.status_code == 201
    duplicate = admin_http.post("/v1/catalog/courses", json={"course_id": f"course-v1:PAGE+C0{unique}"})
    assert duplicate.status_code == 409
    seen, cursor = [], None
    while True:
        page = admin_http.get(
            "/v1/catalog/courses", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200
        seen += [c["course_id"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert {f"course-v1:PAGE+C{i}{unique}" for i in range(3)} <= set(seen)
    assert admin_http.get("/v1/catalog/courses", params={"cursor": "garbage"}).status_code == 400


def test_a_program_adds_the_courses_the_contract_lacks(admin_http, unique):
    # Given a contract that already has one of a program's three courses
    created = admin_http.post(
        "/v1/contracts",
        json={
            "organization_name": f"Programs {unique}",
            "create_organization": True,
            "name": "Program contract",
            "membership_type": "non-sso",
        },
    )
    contract_id = created.json()["id"]
    course_ids = [f"course-v1:UAI_SOURCE+PR{i}{unique}" for i in range(3)]
    for course_id in course_ids:
        register_source_course(admin_http, course_id)
    program = admin_http.post(
        "/v1/catalog/programs",
        json={"program_id": f"program-v1:UAI+PR{unique}", "title": "Program", "course_ids": course_ids},
    )
    assert program.status_code == 201, program.text
    admin_http.post(f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": course_ids[0]})
    # When the program is attached, twice
    first = admin_http.post(
        f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": f"program-v1:UAI+PR{unique}"}
    )
    second = admin_http.post(
        f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": f"program-v1:UAI+PR{unique}"}
    )
    # Then the first makes exactly two runs and the second none
    assert first.status_code == 201, first.text
    assert sorted(r["course_id"] for r in first.json()["created_runs"]) == course_ids[1:]
    assert first.json()["skipped_course_ids"] == course_ids[:1]
    assert second.status_code == 200
    assert second.json()["created_runs"] == []
    listing = admin_http.get(f"/v1/contracts/{contract_id}/courseware").json()
    assert len(listing["runs"]) == 3
    assert {link["kind"] for link in listing["links"]} == {"course", "program"}
