"""SSO over HTTP on the local stack: the signed Keycloak webhook, the organization claim on a learner
token, default enrollments and the learner's status endpoint."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from b2b.settings import LOCAL_WEBHOOK_SECRET
from keycloak_hook.signature import sign, sign_keycloak

from tests.e2e.conftest import learner_headers
from tests.keycloak_support import access_event, membership_removed_event
from tests.sso_support import contract_run, eventually

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

    # The default enrollments are realized by the SSO attach queue's worker, just after
    def enrolled() -> list[str]:
        mine = http.get("/v1/me/enrollments", headers=learner_headers(user))
        return [e["run_id"] for e in mine.json()["items"]]

    assert eventually(lambda: enrolled() == [run.run_id], timeout=30), enrolled()
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


def _deliver_stock(http, body: str, secret: str = LOCAL_WEBHOOK_SECRET):
    """POST as the keycloak-events extension does: compact JSON, X-Keycloak-Signature over the bytes."""
    return http.post(
        "/v1/hooks/keycloak",
        content=body.encode(),
        headers={"Content-Type": "application/json", "X-Keycloak-Signature": sign_keycloak(secret, body)},
    )


def _keycloak_admin(keycloak) -> dict[str, str]:
    """A bearer header from the fake's token endpoint (client-credentials grant)."""
    token = httpx.post(
        f"{keycloak.url}/realms/{keycloak.realm}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": keycloak.client_id,
            "client_secret": keycloak.client_secret,
        },
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_stock_keycloak_webhook_looks_up_memberships_attaches_and_detaches(stack, admin_http, http, unique):
    keycloak = stack.keycloak
    assert keycloak is not None, "the local stack runs a fake Keycloak"
    # Given an organization and a user created through Keycloak's admin REST API
    admin = _keycloak_admin(keycloak)
    base = f"{keycloak.url}/admin/realms/{keycloak.realm}"
    alias = f"e2e-{unique.lower()}"
    created = httpx.post(
        f"{base}/organizations", json={"name": f"E2E {unique}", "alias": alias}, headers=admin
    )
    assert created.status_code == 201
    kc_org = created.headers["Location"].rsplit("/", 1)[-1]
    user = f"kc-e2e-{unique}"
    assert httpx.post(f"{base}/users", json={"id": user, "username": user}, headers=admin).status_code == 201
    # And the organization registered here by its Keycloak id and alias
    org = admin_http.post(
        "/v1/organizations",
        json={"name": f"E2E KC {unique}", "sso_organization_id": kc_org, "sso_aliases": [alias]},
    )
    assert org.status_code == 201, org.text
    assert org.json()["sso_aliases"] == [alias]
    auto = admin_http.post(
        "/v1/contracts", json={"organization_id": org.json()["id"], "name": "Auto", "membership_type": "auto"}
    ).json()
    # And the user made a member, as a Keycloak admin would
    added = httpx.post(f"{base}/organizations/{kc_org}/members", content=user, headers=admin)
    assert added.status_code == 201

    # When the user signs in and the extension posts access.LOGIN
    login = _deliver_stock(http, access_event(user))

    # Then the learner is in the contract, as the admin API shows
    assert login.status_code == 200, login.text
    assert login.json()["attached"] == [auto["id"]]
    learners = admin_http.get(f"/v1/contracts/{auto['id']}/learners").json()
    assert [(m["user_id"], m["source"]) for m in learners["items"]] == [(user, "sso")]

    # And a bad signature is refused
    forged = _deliver_stock(http, access_event(user), secret="wrong")
    assert forged.status_code == 401

    # When an admin removes the user from the organization in Keycloak and Keycloak reports it
    removed = httpx.delete(f"{base}/organizations/{kc_org}/members/{user}", headers=admin)
    assert removed.status_code == 204
    leave = _deliver_stock(http, membership_removed_event(kc_org, user))

    # Then the learner left the contract and the seat is free again
    assert leave.status_code == 200, leave.text
    assert leave.json()["detached"] == [auto["id"]]
    assert admin_http.get(f"/v1/contracts/{auto['id']}/learners").json()["items"] == []
    stats = admin_http.get(f"/v1/contracts/{auto['id']}/stats").json()
    assert stats["seats_taken"] == 0, stats


def test_slow_keycloak_webhook_answers_in_budget_and_the_queue_finishes(stack, admin_http, http, unique):
    keycloak = stack.keycloak
    assert keycloak is not None
    alias = f"slow-{unique.lower()}"
    kc_org = keycloak.add_organization(alias)
    org = admin_http.post(
        "/v1/organizations", json={"name": f"E2E Slow {unique}", "sso_aliases": [alias]}
    ).json()
    auto = admin_http.post(
        "/v1/contracts", json={"organization_id": org["id"], "name": "Auto", "membership_type": "auto"}
    ).json()
    user = f"slow-e2e-{unique}"
    keycloak.add_member(kc_org, user)
    # Given Keycloak stops answering
    keycloak.down = True
    try:
        started = time.perf_counter()
        response = _deliver_stock(http, access_event(user))
        elapsed = time.perf_counter() - started
    finally:
        keycloak.down = False

    # Then the webhook answered within its 3 s budget, and the queued login completes once it is back
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    assert elapsed < 3.0, elapsed
    assert eventually(
        lambda: (
            [m["user_id"] for m in admin_http.get(f"/v1/contracts/{auto['id']}/learners").json()["items"]]
            == [user]
        ),
        timeout=30,
    )
