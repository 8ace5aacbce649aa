"""Default enrollments: realized once on attachment, never again after an unenrollment, reported
when the run cannot be enrolled in."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from admin_api import handler as admin
from b2b.db import default_enrollments as repo
from b2b.db import enrollments, memberships
from b2b.services import sso
from learner_api import handler as learner
from sso_trigger import handler as trigger

from tests import store_reads
from tests.factories import admin_claims, call, generate_api_gw_event, generate_context, learner_claims
from tests.sso_support import (
    cognito_event,
    contract,
    contract_run,
    eventually,
    run_sso_worker,
    sso_organization,
)


@pytest.fixture
def setup(unique):
    """An SSO organization's auto contract with an open run of course A (and an older closed one),
    a closed run of course B, and intentions for course A and for B's run."""
    org = sso_organization(unique)
    auto = contract(org, "Auto")
    course_a = f"course-v1:UAI_{unique}+A101"
    course_b = f"course-v1:UAI_{unique}+B202"
    contract_run(auto.id, course_a, "2025_OLD", start_days=-400, end_days=-30)
    current = contract_run(auto.id, course_a, "2026_NOW", start_days=-5, end_days=60)
    closed = contract_run(auto.id, course_b, "2025_DONE", start_days=-100, end_days=-1)
    body = call(
        admin.lambda_handler,
        generate_api_gw_event(
            "POST",
            f"/v1/contracts/{auto.id}/default-enrollments",
            {"course_id": course_a},
            claims=admin_claims(),
        ),
    )
    assert body.status == 201, body.body
    body = call(
        admin.lambda_handler,
        generate_api_gw_event(
            "POST",
            f"/v1/contracts/{auto.id}/default-enrollments",
            {"run_id": closed.run_id},
            claims=admin_claims(),
        ),
    )
    assert body.status == 201, body.body
    return org, auto, current, closed


def active_runs(user: str) -> list[str]:
    return sorted(e.run_id for e in enrollments.all_enrollments(user) if e.status == "active")


def test_course_intention_realized_once_in_the_current_run_and_closed_run_reported(setup, unique):
    org, auto, current, closed = setup
    user = f"learner-{unique}"

    # When the learner logs in (Keycloak webhook / claim path: realized inline) three times
    first = sso.login(user, [org.sso_organization_id])
    sso.login(user, [org.sso_organization_id])
    sso.login(user, [org.sso_organization_id])

    # Then they are in the course's current run, exactly once, through one realization
    assert first.attached == [auto.id]
    assert active_runs(user) == [current.run_id]
    realizations = repo.list_realizations(user)
    assert [r.run_id for r in realizations] == [current.run_id]
    assert store_reads.get_enrollment(user, current.run_id).source == "default_enrollment"

    # And the status lists the course as enrolled and the closed run as not enrollable, with why
    status = call(
        learner.lambda_handler,
        generate_api_gw_event("GET", "/v1/me/default-enrollments", claims=learner_claims(user)),
    )
    assert status.status == 200
    assert [s["run_id"] for s in status.body["already_enrolled"]] == [current.run_id]
    assert status.body["enrollable"] == []
    assert [(s["content_key"], s["reason"]) for s in status.body["not_enrollable"]] == [
        (closed.run_id, "run_closed")
    ]


def test_cognito_login_realizes_through_the_queue_exactly_once(setup, unique, resources):
    org, _auto, current, _closed = setup
    user = f"cognito-{unique}"
    event = cognito_event("PostConfirmation_ConfirmSignUp", user, org.sso_organization_id)

    # When the user signs up, then signs in twice, and the worker drains the queue
    trigger.lambda_handler(event, generate_context())
    trigger.lambda_handler(
        cognito_event("PostAuthentication_Authentication", user, org.sso_organization_id), generate_context()
    )
    run_sso_worker(resources)
    trigger.lambda_handler(
        cognito_event("PostAuthentication_Authentication", user, org.sso_organization_id), generate_context()
    )
    run_sso_worker(resources)

    # Then one enrollment in the current run
    assert eventually(lambda: active_runs(user) == [current.run_id])
    assert len(repo.list_realizations(user)) == 1


def test_unenrolled_learner_is_not_enrolled_again(setup, unique):
    org, auto, current, _closed = setup
    user = f"quitter-{unique}"
    sso.login(user, [org.sso_organization_id])

    # When they unenroll, are removed from the contract, and log in again (a new attachment)
    response = call(
        learner.lambda_handler,
        generate_api_gw_event(
            "DELETE", f"/v1/me/enrollments/{quote(current.run_id)}", claims=learner_claims(user)
        ),
    )
    assert response.status == 200
    assert response.body["status"] == "unenrolled"
    assert memberships.detach(auto.id, user)
    again = sso.login(user, [org.sso_organization_id])

    # Then they are attached again but not re-enrolled
    assert again.attached == [auto.id]
    assert active_runs(user) == []
    assert store_reads.get_enrollment(user, current.run_id).status == "unenrolled"


def test_admin_provisioning_realizes_default_enrollments(setup, unique):
    _org, auto, current, _closed = setup
    user = f"provisioned-{unique}"
    response = call(
        admin.lambda_handler,
        generate_api_gw_event("PUT", f"/v1/contracts/{auto.id}/learners/{user}", claims=admin_claims()),
    )
    assert response.status == 201
    assert active_runs(user) == [current.run_id]


def test_learner_already_enrolled_keeps_their_enrollment(setup, unique):
    org, _auto, current, _closed = setup
    user = f"early-{unique}"
    from b2b.domain.enrollments import Enrollment
    from b2b.domain.model import utcnow

    enrollments.enrollment_item(
        Enrollment(user, current.run_id, None, None, "checkout", "active", utcnow())
    ).save()
    sso.login(user, [org.sso_organization_id])
    assert store_reads.get_enrollment(user, current.run_id).source == "checkout"
    assert [r.enrollment_existed for r in repo.list_realizations(user)] == [True]


def test_intention_admin_routes(setup, unique):
    _org, auto, _current, closed = setup
    path = f"/v1/contracts/{auto.id}/default-enrollments"

    listed = call(
        admin.lambda_handler, generate_api_gw_event("GET", path, claims=admin_claims(), query={"limit": "1"})
    )
    assert listed.status == 200
    assert len(listed.body["items"]) == 1
    assert listed.body["next_cursor"]

    duplicate = call(
        admin.lambda_handler,
        generate_api_gw_event("POST", path, {"run_id": closed.run_id}, claims=admin_claims()),
    )
    assert duplicate.status == 409
    assert duplicate.body["error"]["code"] == "duplicate_default_enrollment"

    both = call(
        admin.lambda_handler,
        generate_api_gw_event("POST", path, {"run_id": "x", "course_id": "y"}, claims=admin_claims()),
    )
    assert both.status == 422

    missing = call(
        admin.lambda_handler,
        generate_api_gw_event(
            "POST", "/v1/contracts/999999999/default-enrollments", {"run_id": "x"}, claims=admin_claims()
        ),
    )
    assert missing.status == 404

    intention_id = next(i["id"] for i in repo_items(auto.id) if i["content_key"] == closed.run_id)
    removed = call(
        admin.lambda_handler, generate_api_gw_event("DELETE", f"{path}/{intention_id}", claims=admin_claims())
    )
    assert removed.status == 204
    again = call(
        admin.lambda_handler, generate_api_gw_event("DELETE", f"{path}/{intention_id}", claims=admin_claims())
    )
    assert again.status == 404
    # The content key can be configured again once removed
    readded = call(
        admin.lambda_handler,
        generate_api_gw_event("POST", path, {"run_id": closed.run_id}, claims=admin_claims()),
    )
    assert readded.status == 201


def repo_items(contract_id: int) -> list[dict[str, object]]:
    return [{"id": i.id, "content_key": i.content_key} for i in repo.list_intentions(contract_id)]
