"""SSO over HTTP on the local stack: the signed Keycloak webhook, the organization claim on a learner
token, default enrollments and the learner's status endpoint."""

from __future__ import annotations

import json
import time

import pytest
from b2b.settings import LOCAL_WEBHOOK_SECRET
from keycloak_hook.signature import sign

from tests.e2e.conftest import learner_headers
from tests.sso_support import contract_run

pytestmark = pytest.mark.e2e


@pytest.fixture
def sso_contract(admin_http, unique):
    org = admin_http.post(
        "/v1/organizations", json={"name": f"E2E SSO {unique}", "sso_organization_id": f"e2e-{unique}"}
    ).json()
    created = admin_http.post(
        "/v1/contracts", json={"organization_id": org["id"], "name": "Auto", "membership_type": "sso"}
    )
    assert created.status_code == 201, created.text
    return org, created.json()


def test_signed_webhook_attaches_and_enrolls(admin_http, http, sso_contract, unique):
    org, contract = sso_contract
    course = f"course-v1:UAI_{unique}+E2E"
    run = contract_run(contract["id"], course, "2026_C1")
    intention = admin_http.post(
        f"/v1/contracts/{contract['id']}/default-enrollments", json={"course_id": course}
    )
    assert intention.status_code == 201, intention.text
    user = f"kc-e2e-{unique}"
    body = json.dumps(
        {"type": "LOGIN", "userId": user, "organization": {"uni": {"id": org["sso_organization_id"]}}}
    )

    forged = http.post(
        "/v1/hooks/keycloak",
        content=body,
        headers={"X-Signature": sign("wrong", int(time.time()), body), "Content-Type": "application/json"},
    )
    assert forged.status_code == 401
    signed = http.post(
        "/v1/hooks/keycloak",
        content=body,
        headers={
            "X-Signature": sign(LOCAL_WEBHOOK_SECRET, int(time.time()), body),
            "Content-Type": "application/json",
        },
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["attached"] == [contract["id"]]

    mine = http.get("/v1/me/enrollments", headers=learner_headers(user))
    assert [e["run_id"] for e in mine.json()["items"]] == [run.run_id]
    status = http.get("/v1/me/default-enrollments", headers=learner_headers(user)).json()
    assert [s["run_id"] for s in status["already_enrolled"]] == [run.run_id]
    learners = admin_http.get(f"/v1/contracts/{contract['id']}/learners").json()
    assert [(m["user_id"], m["source"]) for m in learners["items"]] == [(user, "sso")]


def test_organization_claim_on_the_token_attaches(http, sso_contract, unique):
    org, contract = sso_contract
    user = f"claim-e2e-{unique}"
    headers = learner_headers(user, organization={"uni": {"id": org["sso_organization_id"]}})

    response = http.get("/v1/me/contracts", headers=headers)

    assert response.status_code == 200, response.text
    assert [c["contract_id"] for c in response.json()["items"]] == [contract["id"]]
    assert http.get("/v1/me/contracts").status_code == 401
