"""The keycloak-events webhook as installed: X-Keycloak-Signature, its event envelope, memberships
looked up in the (fake) Keycloak admin API, retries deduplicated, slow Keycloak handed to the queue."""

from __future__ import annotations

import json
import time

import pytest
from b2b.db import contracts as contract_repo
from b2b.db import memberships
from b2b.domain.model import MembershipType
from b2b.services import organizations
from b2b.settings import LOCAL_WEBHOOK_SECRET
from keycloak_hook import handler as hook
from keycloak_hook.signature import sign_keycloak

from tests.factories import call, generate_api_gw_event
from tests.keycloak_support import access_event, keycloak_settings, membership_removed_event
from tests.sso_support import contract, eventually, run_sso_worker


def contracts_of(user: str) -> set[int]:
    return {m.contract_id for m in memberships.list_contracts_of_learner(user, 100, None).items}


def deliver(body: str, secret: str = LOCAL_WEBHOOK_SECRET, signature: str | None = None):
    """POST the body the way the extension does: its signature header over the raw bytes."""
    headers = {
        "content-type": "application/json",
        "x-keycloak-signature": signature if signature is not None else sign_keycloak(secret, body),
    }
    return call(
        hook.lambda_handler,
        generate_api_gw_event("POST", "/v1/hooks/keycloak", raw_body=body, headers=headers),
    )


@pytest.fixture
def keycloak():
    with keycloak_settings() as fake:
        yield fake


@pytest.fixture
def member_org(keycloak, unique):
    """An organization known to Keycloak (by id and alias) and here (by its Keycloak id), with an
    open auto contract, and a Keycloak user who is a member."""
    alias = f"uni-{unique.lower()}"
    org_id = keycloak.add_organization(alias)
    org = organizations.register_organization(name=f"KC Org {unique}", sso_organization_id=org_id)
    auto = contract(org, "Auto")
    user = f"kc-user-{unique}"
    keycloak.add_member(org_id, user)
    return org, org_id, alias, auto, user


def test_stock_login_event_attaches_to_the_organizations_keycloak_reports(keycloak, member_org):
    _, _, _, auto, user = member_org
    # Given a login event byte-for-byte in the extension's format (no organization in it)
    body = access_event(user)
    assert "organization" not in json.loads(body)

    # When the extension delivers it
    response = deliver(body)

    # Then Keycloak was asked, and the learner is in the organization's open auto contract
    assert response.status == 200, response.body
    assert response.body["status"] == "processed"
    assert response.body["attached"] == [auto.id]
    assert contracts_of(user) == {auto.id}
    assert keycloak.lookup_calls == 1


def test_a_retried_delivery_changes_nothing(keycloak, member_org, ddb_requests):
    _, _, _, auto, user = member_org
    body = access_event(user)
    assert deliver(body).status == 200
    seats = contract_repo.get_seats_taken(auto.id)
    lookups = keycloak.lookup_calls

    # When the extension retries the same event (same bytes, same id)
    ddb_requests.reset()
    again = deliver(body)
    requests = list(ddb_requests.calls)

    # Then it is acknowledged as a duplicate: no lookup, no seat, only the dedupe put and its read
    assert again.status == 200
    assert again.body["status"] == "duplicate"
    assert keycloak.lookup_calls == lookups
    assert requests == ["PutItem", "GetItem"]
    assert contract_repo.get_seats_taken(auto.id) == seats == 1


@pytest.mark.parametrize("tamper", ["body", "secret", "missing_header", "not_hex"])
def test_badly_signed_stock_events_are_401_and_write_nothing(keycloak, member_org, tamper):
    _, _, _, auto, user = member_org
    body = access_event(user)
    signature = sign_keycloak(LOCAL_WEBHOOK_SECRET, body)
    if tamper == "body":
        body = body.replace(user, f"victim-{user}")
    elif tamper == "secret":
        signature = sign_keycloak("not-the-secret", body)
    elif tamper == "not_hex":
        signature = "zz"
    headers = {} if tamper == "missing_header" else {"x-keycloak-signature": signature}

    response = call(
        hook.lambda_handler,
        generate_api_gw_event("POST", "/v1/hooks/keycloak", raw_body=body, headers=headers),
    )

    assert response.status == 401
    assert response.body["error"]["code"] == "invalid_signature"
    assert contract_repo.get_seats_taken(auto.id) == 0
    assert keycloak.lookup_calls == 0


def test_a_stale_event_is_refused_by_its_own_time(keycloak, member_org):
    _, _, _, auto, user = member_org
    # Given an event signed correctly but 21 minutes old (past the extension's 15-minute retries)
    body = access_event(user, time=int((time.time() - 21 * 60) * 1000))

    response = deliver(body)

    assert response.status == 401
    assert response.body["error"]["code"] == "stale_event"
    assert contracts_of(user) == set()


def test_unknown_user_is_a_2xx_no_op_with_a_reason(keycloak, unique, caplog):
    # Given a user Keycloak does not know (deleted since the event)
    response = deliver(access_event(f"ghost-{unique}"))

    # Then the extension gets a 2xx (so it stops retrying) and the log says why
    assert response.status == 202
    assert response.body == {
        "status": "ignored",
        "reason": "unknown_user",
        "attached": [],
        "already_attached": [],
        "full": [],
        "detached": [],
        "unknown_organizations": [],
    }
    assert any(
        getattr(r, "reason", None) == "unknown_user" and getattr(r, "user_id", None) == f"ghost-{unique}"
        for r in caplog.records
    )


def test_unknown_organization_is_a_2xx_no_op_with_a_reason(keycloak, unique, caplog):
    # Given a member of an organization Keycloak has but nobody registered here
    org_id = keycloak.add_organization(f"nowhere-{unique.lower()}")
    user = f"lonely-{unique}"
    keycloak.add_member(org_id, user)

    response = deliver(access_event(user))

    assert response.status == 200
    assert response.body["status"] == "processed"
    assert response.body["attached"] == []
    assert response.body["unknown_organizations"] == [f"nowhere-{unique.lower()}"]
    assert any(getattr(r, "reason", None) == "unknown_organization" for r in caplog.records)
    assert contracts_of(user) == set()


def test_an_organization_registered_by_its_alias_resolves(keycloak, unique):
    # Given an organization registered here by its Keycloak alias only
    alias = f"alias-{unique.lower()}"
    org_id = keycloak.add_organization(alias)
    org = organizations.register_organization(name=f"Alias Org {unique}", sso_aliases=(alias,))
    auto = contract(org, "Auto")
    user = f"alias-user-{unique}"
    keycloak.add_member(org_id, user)

    response = deliver(access_event(user))

    # Then the learner is attached, and nothing is reported unknown (the id was simply not needed)
    assert response.status == 200, response.body
    assert response.body["attached"] == [auto.id]
    assert response.body["unknown_organizations"] == []


def test_leaving_the_organization_detaches_on_the_membership_event_and_keeps_code_seats(keycloak, member_org):
    org, org_id, _, auto, user = member_org
    assert deliver(access_event(user)).status == 200
    code_contract = contract(org, "Code", MembershipType.CODE)
    memberships.attach(memberships.membership_for(code_contract.id, user, "admin", auto.created_at))

    # When an admin removes the user from the organization in Keycloak
    keycloak.remove_member(org_id, user)
    response = deliver(membership_removed_event(org_id, user))

    # Then the SSO seat is returned; the admin's attachment stays
    assert response.status == 200, response.body
    assert response.body["detached"] == [auto.id]
    assert contracts_of(user) == {code_contract.id}
    assert contract_repo.get_seats_taken(auto.id) == 0


def test_a_login_after_leaving_detaches_too(keycloak, member_org):
    _, org_id, _, auto, user = member_org
    assert deliver(access_event(user)).status == 200
    keycloak.remove_member(org_id, user)

    response = deliver(access_event(user))

    assert response.body["detached"] == [auto.id]
    assert contracts_of(user) == set()


def test_membership_addition_event_is_acknowledged_without_work(keycloak, unique):
    # Keycloak's admin event for an added member names the organization, not the user
    body = json.dumps(
        {
            "id": f"evt-{unique}",
            "time": int(time.time() * 1000),
            "type": "admin.ORGANIZATION_MEMBERSHIP-CREATE",
            "resourcePath": "organizations/0c1d/members",
            "authDetails": {"userId": "admin-1"},
        },
        separators=(",", ":"),
    )
    response = deliver(body)
    assert response.status == 202
    assert response.body["reason"] == "no_user_in_event"


@pytest.mark.parametrize("scenario", ["slow", "down"])
def test_slow_or_failing_keycloak_is_answered_within_budget_and_finished_from_the_queue(
    resources, member_org, keycloak, scenario, monkeypatch
):
    from b2b.settings import get_settings

    monkeypatch.setenv("KEYCLOAK_HOOK_BUDGET_MS", "1000")
    get_settings.cache_clear()
    _, _, _, auto, user = member_org
    # Given Keycloak answers after 3 s (the client waits 0.3 s a try), or not at all
    if scenario == "slow":
        keycloak.delay_seconds = 3.0
    else:
        keycloak.down = True

    # When the login event arrives
    started = time.perf_counter()
    response = deliver(access_event(user))
    elapsed = time.perf_counter() - started

    # Then the webhook answers within its budget: queued, nothing attached yet
    assert response.status == 202, response.body
    assert response.body["status"] == "queued"
    assert response.body["reason"] == "keycloak_unavailable"
    assert elapsed < 1.0, elapsed
    # And while Keycloak stays unavailable the queued login fails and stays on the queue
    if scenario == "down":
        run_sso_worker(resources, max_batches=1)
        assert contracts_of(user) == set()
    # And once Keycloak answers, the queue worker finishes the login
    keycloak.delay_seconds = 0.0
    keycloak.down = False
    run_sso_worker(resources)
    assert eventually(lambda: contracts_of(user) == {auto.id})
