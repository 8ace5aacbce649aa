"""Enrollments reach the LMS, and business events reach the bus, over HTTP on the local stack:
table stream → event publisher → EventBridge bus and LMS sync queue → worker → fake Open edX LMS."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from b2b_local.fake_lms import FakeLms, LmsEnrollment

from tests import builders
from tests.e2e.conftest import BusEvents, learner_headers
from tests.event_schemas import validate

pytestmark = pytest.mark.e2e

# Commit to LMS, on two shared cores with cold worker processes: generous, and still bounded.
BOUND_SECONDS = 30.0


def wait_lms(
    lms: FakeLms, username: str, run_id: str, active: bool, timeout: float = BOUND_SECONDS
) -> LmsEnrollment:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = lms.enrollment(username, run_id)
        if state is not None and state.is_active is active:
            return state
        time.sleep(0.05)
    raise AssertionError(f"the LMS did not get {username} {run_id} active={active} in {timeout} s")


def wait_lms_state(http: Any, sub: str, run_id: str, state: str, timeout: float = BOUND_SECONDS) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        mine = http.get("/v1/me/enrollments", headers=learner_headers(sub)).json()["items"]
        (enrollment,) = [e for e in mine if e["run_id"] == run_id]
        if enrollment["lms_state"] == state or time.monotonic() > deadline:
            return enrollment
        time.sleep(0.1)


def free_checkout(http: Any, sub: str, product_id: int, code: str) -> Any:
    return http.post(
        "/v1/checkout/complete",
        json={"product_ids": [product_id], "code": code},
        headers=learner_headers(sub),
    )


def of_user(user_id: str):
    return lambda e: e["detail"].get("user_id") == user_id or e["detail"].get("redeemed_by") == user_id


def test_a_free_checkout_enrolls_in_the_lms_and_unenrolling_ends_it(http, lms, bus_events, unique):
    # Given a $0 product of a code contract and a code for it
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    code = builders.code(product)
    sub = f"ana-{unique}"
    # When the learner completes the checkout
    answer = free_checkout(http, sub, product.id, code)
    assert answer.status_code == 200, answer.text
    # Then within a bounded time the LMS holds an active enrollment for them in that run
    state = wait_lms(lms, sub, product.run_id, active=True)
    assert state.mode == "audit"
    # And the learner API shows it synced
    assert wait_lms_state(http, sub, product.run_id, "synced")["lms_state"] == "synced"
    # When they unenroll
    gone = http.delete(f"/v1/me/enrollments/{quote(product.run_id, safe='')}", headers=learner_headers(sub))
    assert gone.status_code in {200, 204}, gone.text
    # Then the LMS enrollment becomes inactive
    wait_lms(lms, sub, product.run_id, active=False)
    # And the bus carried attached, enrolled, redeemed and ended, each valid against its schema
    received = bus_events.wait_for(of_user(sub), count=4)
    kinds = sorted(e["detail-type"] for e in received)
    assert kinds == sorted(
        [
            "b2b.learner.attached.v1",
            "b2b.enrollment.created.v1",
            "b2b.code.redeemed.v1",
            "b2b.enrollment.ended.v1",
        ]
    )
    for event in received:
        validate(event)
    (attached,) = [e for e in received if e["detail-type"] == "b2b.learner.attached.v1"]
    assert (attached["detail"]["contract_id"], attached["detail"]["source"]) == (contract.id, "code")


def test_default_enrollment_realization_enrolls_in_the_lms(admin_http, http, lms, unique):
    # Given a learner known to the LMS (a first checkout cached their LMS account)
    first = builders.contract(builders.organization(unique))
    first_product = builders.product(first)
    sub = f"dora-{unique}"
    assert free_checkout(http, sub, first_product.id, builders.code(first_product)).status_code == 200
    wait_lms(lms, sub, first_product.run_id, active=True)
    # And a second contract with a default enrollment in one of its runs
    second = builders.contract(builders.organization(f"{unique}B"))
    second_product = builders.product(second)
    intention = admin_http.post(
        f"/v1/contracts/{second.id}/default-enrollments", json={"run_id": second_product.run_id}
    )
    assert intention.status_code == 201, intention.text
    # When an admin attaches the learner (which realizes the default enrollments)
    attached = admin_http.put(f"/v1/contracts/{second.id}/learners/{sub}")
    assert attached.status_code == 201, attached.text
    # Then the LMS enrolls them in that run
    wait_lms(lms, sub, second_product.run_id, active=True)
    # And the admin API shows the enrollment synced
    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        items = admin_http.get(f"/v1/contracts/{second.id}/learners/{sub}/enrollments").json()["items"]
        if items and items[0]["lms_state"] == "synced":
            break
        time.sleep(0.1)
    assert [(e["run_id"], e["lms_state"]) for e in items] == [(second_product.run_id, "synced")]


def test_a_refused_enrollment_is_failed_with_the_reason_and_an_admin_retry_syncs_it(
    admin_http, http, lms, unique
):
    # Given an LMS that refuses the first enrollment call for a run
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    lms.run_scripts[product.run_id] = ["400"]
    sub = f"fay-{unique}"
    # When the learner checks out
    assert free_checkout(http, sub, product.id, builders.code(product)).status_code == 200
    # Then the enrollment's LMS state is failed, with the LMS's reason, in the learner API
    failed = wait_lms_state(http, sub, product.run_id, "failed")
    assert failed["lms_state"] == "failed"
    assert "400" in failed["lms_error"]
    # When an admin retries the contract's syncs
    retried = admin_http.post(f"/v1/contracts/{contract.id}/lms-sync")
    assert retried.status_code == 202, retried.text
    assert [(q["user_id"], q["lms_state"]) for q in retried.json()["queued"]] == [(sub, "failed")]
    # Then the LMS enrolls the learner and the state becomes synced
    wait_lms(lms, sub, product.run_id, active=True)
    assert wait_lms_state(http, sub, product.run_id, "synced")["lms_error"] is None
    # And a second retry has nothing to do
    again = admin_http.post(f"/v1/contracts/{contract.id}/learners/{sub}/lms-sync").json()
    assert (again["queued"], again["already_synced"]) == ([], 1)


def test_an_aborted_checkout_emits_no_event(stack, http, bus_events, unique):
    # Given a one-time code already redeemed by one learner, and a contract with one seat taken
    contract = builders.contract(builders.organization(unique), max_learners=1)
    product = builders.product(contract)
    code, other_code = builders.code(product), builders.code(product)
    winner, late, full = f"win-{unique}", f"late-{unique}", f"full-{unique}"
    assert free_checkout(http, winner, product.id, code).status_code == 200
    # When another learner tries the used code, and a third tries a fresh code on the full contract
    used = free_checkout(http, late, product.id, code)
    over_cap = free_checkout(http, full, product.id, other_code)
    assert (used.status_code, used.json()["error"]["code"]) == (409, "code_already_used")
    assert (over_cap.status_code, over_cap.json()["error"]["code"]) == (409, "contract_full")
    # Then once the stream is drained, the bus has the winner's events and none for the others
    assert stack.stream_poller.wait_idle(60)
    assert len(bus_events.wait_for(of_user(winner), count=3)) == 3
    time.sleep(1)  # the bus's own delivery to the capture queue
    assert bus_events.matching(of_user(late)) == []
    assert bus_events.matching(of_user(full)) == []
    redeemed = bus_events.matching(
        lambda e: e["detail-type"] == "b2b.code.redeemed.v1" and e["detail"]["contract_id"] == contract.id
    )
    assert [e["detail"]["redeemed_by"] for e in redeemed] == [winner]


def test_a_hundred_concurrent_completes_emit_one_code_redeemed_per_success(
    stack, http, bus_events: BusEvents, unique
):
    # Given a contract capped at 40 and 100 learners each holding their own code
    contract = builders.contract(builders.organization(unique), max_learners=40)
    product = builders.product(contract)
    codes = builders.codes(product, 100)
    # When they all complete at once
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(
            pool.map(lambda i: free_checkout(http, f"rush-{unique}-{i}", product.id, codes[i]), range(100))
        )
    winners = {f"rush-{unique}-{i}" for i, a in enumerate(answers) if a.status_code == 200}
    assert len(winners) == 40, [a.text for a in answers if a.status_code >= 500]
    # Then exactly one "code redeemed" per success reaches the bus, and none for the 60 refused
    assert stack.stream_poller.wait_idle(120)

    def redeemed_here(event: dict) -> bool:
        return (
            event["detail-type"] == "b2b.code.redeemed.v1" and event["detail"]["contract_id"] == contract.id
        )

    redeemed = bus_events.wait_for(redeemed_here, count=40, timeout=60)
    time.sleep(1)
    redeemed = bus_events.matching(redeemed_here)
    by = [e["detail"]["redeemed_by"] for e in redeemed]
    assert sorted(by) == sorted(winners)
    for event in redeemed:
        validate(event)
    # And the codes' own records agree (an independent recount from the table)
    statuses = [builders_code_status(c) for c in codes]
    assert statuses.count("redeemed") == 40


def builders_code_status(value: str) -> str:
    from b2b.db import keys
    from b2b.db.models import EnrollmentCodeItem

    return EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK).status


def test_contract_and_courseware_events_reach_the_bus(admin_http, bus_events, unique):
    # Given a contract created, repriced, given a course and deactivated through the admin API
    org = admin_http.post("/v1/organizations", json={"name": f"Events {unique}"}).json()
    created = admin_http.post(
        "/v1/contracts", json={"organization_id": org["id"], "name": "Events", "membership_type": "code"}
    ).json()
    contract_id = created["id"]
    etag = admin_http.get(f"/v1/contracts/{contract_id}").headers.get("etag")
    changed = admin_http.patch(
        f"/v1/contracts/{contract_id}", json={"max_learners": 5}, headers={"If-Match": etag} if etag else {}
    )
    assert changed.status_code == 200, changed.text
    gone = admin_http.delete(f"/v1/contracts/{contract_id}")
    assert gone.status_code in {200, 204}, gone.text

    # Then the bus carries created, changed (the cap) and deactivated, valid against their schemas
    def this_contract(event: dict) -> bool:
        return (
            event["detail-type"].startswith("b2b.contract.") and event["detail"]["contract_id"] == contract_id
        )

    received = bus_events.wait_for(this_contract, count=3)
    assert [e["detail-type"] for e in sorted(received, key=lambda e: e["detail"]["occurred_at"])] == [
        "b2b.contract.created.v1",
        "b2b.contract.changed.v1",
        "b2b.contract.deactivated.v1",
    ]
    for event in received:
        validate(event)
    (change,) = [e for e in received if e["detail-type"] == "b2b.contract.changed.v1"]
    assert change["detail"]["changed"] == ["max_learners"]
    assert (change["detail"]["before"]["max_learners"], change["detail"]["terms"]["max_learners"]) == (
        None,
        5,
    )


def test_a_learner_an_operator_adds_with_an_email_is_enrolled_in_the_lms(admin_http, lms, unique):
    from b2b_cli.main import app
    from b2b_local.tokens import mint_token
    from typer.testing import CliRunner

    # Given a contract with a default enrollment, and a learner who never checked out
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    intention = admin_http.post(
        f"/v1/contracts/{contract.id}/default-enrollments", json={"run_id": product.run_id}
    )
    assert intention.status_code == 201, intention.text
    sub = f"ivy-{unique}"
    # When an operator adds them with their email through the CLI
    env = {
        "B2B_API_URL": str(admin_http.base_url).rstrip("/"),
        "B2B_TOKEN": mint_token("op", admin=True),
        "B2B_PROFILE": None,
    }
    result = CliRunner().invoke(
        app, ["learners", "add", str(contract.id), sub, "--email", f"{sub}@example.org"], env=env
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    # Then the LMS enrolls the account that email names, and the admin API shows it synced
    wait_lms(lms, sub, product.run_id, active=True)
    assert f"{sub}@example.org" in lms.account_calls
    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        items = admin_http.get(f"/v1/contracts/{contract.id}/learners/{sub}/enrollments").json()["items"]
        if items and items[0]["lms_state"] == "synced":
            break
        time.sleep(0.1)
    assert [(e["run_id"], e["lms_state"]) for e in items] == [(product.run_id, "synced")]


def test_the_cli_retries_a_learners_failed_sync(admin_http, http, lms, unique):
    from b2b_cli.main import app
    from b2b_local.tokens import mint_token
    from typer.testing import CliRunner

    # Given a learner whose enrollment the LMS refused
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    lms.run_scripts[product.run_id] = ["400"]
    sub = f"gus-{unique}"
    assert free_checkout(http, sub, product.id, builders.code(product)).status_code == 200
    assert wait_lms_state(http, sub, product.run_id, "failed")["lms_state"] == "failed"
    # When an operator runs `b2b learners lms-sync CONTRACT --learner USER`
    env = {
        "B2B_API_URL": str(http.base_url).rstrip("/"),
        "B2B_TOKEN": mint_token("op", admin=True),
        "B2B_PROFILE": None,
    }
    result = CliRunner().invoke(app, ["learners", "lms-sync", str(contract.id), "--learner", sub], env=env)
    # Then it says what it queued, and the LMS enrolls the learner
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "was failed" in result.stdout + result.stderr
    wait_lms(lms, sub, product.run_id, active=True)


def test_courseware_and_learner_detach_events_reach_the_bus(admin_http, bus_events, unique):
    from urllib.parse import quote as quote_path

    # Given a contract with a catalog course attached, then removed, and a learner added then removed
    created = admin_http.post(
        "/v1/contracts",
        json={
            "organization_name": f"Links {unique}",
            "create_organization": True,
            "name": "Links",
            "membership_type": "code",
        },
    )
    assert created.status_code == 201, created.text
    contract_id = created.json()["id"]
    course_id = f"course-v1:UAI_SOURCE+EV{unique}"
    assert (
        admin_http.post("/v1/catalog/courses", json={"course_id": course_id, "title": "Events"}).status_code
        == 201
    )
    assert (
        admin_http.post("/v1/catalog/course-runs", json={"run_id": f"{course_id}+SOURCE"}).status_code == 201
    )
    attached = admin_http.post(f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": course_id})
    assert attached.status_code == 201, attached.text
    removed = admin_http.delete(f"/v1/contracts/{contract_id}/courseware/{quote_path(course_id, safe='')}")
    assert removed.status_code in {200, 204}, removed.text
    learner = f"leo-{unique}"
    assert admin_http.put(f"/v1/contracts/{contract_id}/learners/{learner}").status_code == 201
    assert admin_http.delete(f"/v1/contracts/{contract_id}/learners/{learner}").status_code == 204

    # Then the bus carries courseware attached and detached, learner attached and detached (source admin)
    def this_contract(event: dict) -> bool:
        kind = event["detail-type"]
        return (kind.startswith(("b2b.courseware.", "b2b.learner."))) and event["detail"][
            "contract_id"
        ] == contract_id

    received = bus_events.wait_for(this_contract, count=4)
    assert sorted(e["detail-type"] for e in received) == [
        "b2b.courseware.attached.v1",
        "b2b.courseware.detached.v1",
        "b2b.learner.attached.v1",
        "b2b.learner.detached.v1",
    ]
    for event in received:
        validate(event)
    assert {e["detail"].get("source") for e in received if e["detail-type"].startswith("b2b.learner.")} == {
        "admin"
    }
    assert {e["detail"].get("courseware_id") for e in received if "courseware" in e["detail-type"]} == {
        course_id
    }
