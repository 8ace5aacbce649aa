"""Keycloak: the signed event webhook and the organization claim on learner tokens."""

from __future__ import annotations

import json
import time

import pytest
from b2b.db import contracts as contract_repo
from b2b.db import memberships
from b2b.domain.model import MembershipType, utcnow
from b2b.settings import LOCAL_WEBHOOK_SECRET
from keycloak_hook import handler as hook
from keycloak_hook.signature import sign
from learner_api import handler as learner

from tests.factories import call, generate_api_gw_event, learner_claims
from tests.sso_support import EVENTS, contract, sso_organization


def contracts_of(user: str) -> set[int]:
    return {m.contract_id for m in memberships.list_contracts_of_learner(user, 100, None).items}


def webhook(body: str, signature: str | None):
    headers = {"x-signature": signature} if signature is not None else {}
    return call(
        hook.lambda_handler,
        generate_api_gw_event("POST", "/v1/hooks/keycloak", raw_body=body, headers=headers),
    )


def login_event(user: str, sso_id: str) -> str:
    event = json.loads((EVENTS / "keycloak_login_event.json").read_text())
    event["userId"] = user
    event["organization"] = {"university": {"id": sso_id}}
    return json.dumps(event)


def test_signed_login_event_attaches(unique):
    org = sso_organization(unique)
    auto = contract(org, "Auto")
    body = login_event(f"kc-{unique}", org.sso_organization_id)

    response = webhook(body, sign(LOCAL_WEBHOOK_SECRET, int(time.time()), body))

    assert response.status == 200, response.body
    assert response.body["attached"] == [auto.id]
    assert contracts_of(f"kc-{unique}") == {auto.id}


@pytest.mark.parametrize("tamper", ["body", "secret", "stale", "missing", "garbage"])
def test_badly_signed_events_are_refused_and_write_nothing(unique, tamper):
    org = sso_organization(unique)
    auto = contract(org, "Auto")
    user = f"forger-{unique}"
    body = login_event(user, org.sso_organization_id)
    now = int(time.time())
    signature: str | None = sign(LOCAL_WEBHOOK_SECRET, now, body)
    if tamper == "body":
        body = login_event(f"victim-{unique}", org.sso_organization_id)
    elif tamper == "secret":
        signature = sign("not-the-secret", now, body)
    elif tamper == "stale":
        signature = sign(LOCAL_WEBHOOK_SECRET, now - 301, body)
    elif tamper == "missing":
        signature = None
    else:
        signature = "t=abc,v1=zz"

    response = webhook(body, signature)

    assert response.status == 401
    assert response.body["error"]["code"] in {"invalid_signature", "unauthorized"}
    assert contracts_of(user) == set()
    assert contracts_of(f"victim-{unique}") == set()
    assert contract_repo.get_seats_taken(auto.id) == 0


def test_signed_event_with_a_bad_body_is_422_and_other_events_are_ignored(unique):
    bad = json.dumps({"type": "LOGIN"})
    assert webhook(bad, sign(LOCAL_WEBHOOK_SECRET, int(time.time()), bad)).status == 422
    logout = json.dumps({"type": "LOGOUT", "userId": "u", "organization": {}})
    response = webhook(logout, sign(LOCAL_WEBHOOK_SECRET, int(time.time()), logout))
    assert response.status == 202
    assert response.body["status"] == "ignored"


def me(user: str, organization: object | None):
    claims = learner_claims(user)
    if organization is not None:
        claims["organization"] = json.dumps(organization, separators=(",", ":"))
    return call(learner.lambda_handler, generate_api_gw_event("GET", "/v1/me/contracts", claims=claims))


def test_organization_claim_attaches_on_the_next_call_and_costs_nothing_after(unique, ddb_requests):
    org = sso_organization(unique)
    auto = contract(org, "Auto")
    user = f"claim-{unique}"
    claim = {"university": {"id": org.sso_organization_id}}

    # When the learner calls the API with the claim
    first = me(user, claim)

    # Then they are attached and the answer already shows it
    assert first.status == 200
    assert [c["contract_id"] for c in first.body["items"]] == [auto.id]

    # And further calls with the same claim make only the route's own request
    ddb_requests.reset()
    again = me(user, claim)
    assert again.status == 200
    assert ddb_requests.calls == ["Query"]


def test_claim_change_detected_with_one_conditional_write_in_a_fresh_process(unique, ddb_requests):
    from b2b.services import sso

    org = sso_organization(unique)
    contract(org, "Auto")
    user = f"fresh-{unique}"
    claim = {"university": {"id": org.sso_organization_id}}
    me(user, claim)
    sso._recent.clear()  # as if another execution environment served the next call

    ddb_requests.reset()
    me(user, claim)
    assert ddb_requests.calls == ["PutItem", "Query"]  # the failed conditional put, then the route


def test_claim_without_the_organization_detaches_sso_memberships_only(unique):
    org = sso_organization(unique)
    first = contract(org, "First")
    second = contract(org, "Second")
    user = f"moved-{unique}"
    me(user, {"university": {"id": org.sso_organization_id}})
    assert contracts_of(user) == {first.id, second.id}
    # An admin also put them in a code contract of the same organization
    code = contract(org, "Code", MembershipType.CODE)
    memberships.attach(memberships.membership_for(code.id, user, "admin", utcnow()))

    # When their token no longer names the organization
    response = me(user, {})

    # Then they left the auto contracts SSO gave them (seats returned); the admin one stays
    assert response.status == 200
    assert contracts_of(user) == {code.id}
    assert contract_repo.get_seats_taken(first.id) == 0


def test_token_without_the_claim_changes_nothing(unique, ddb_requests):
    ddb_requests.reset()
    response = me(f"plain-{unique}", None)
    assert response.status == 200
    assert ddb_requests.calls == ["Query"]


@pytest.fixture
def rotating_secrets(monkeypatch):
    """The webhook configured mid-rotation: a new secret, and the previous one still accepted."""
    from b2b.settings import get_settings

    monkeypatch.setenv("KEYCLOAK_WEBHOOK_SECRET", "new-webhook-secret")
    monkeypatch.setenv("KEYCLOAK_WEBHOOK_PREVIOUS_SECRET", "old-webhook-secret")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_during_a_rotation_both_secrets_sign_and_no_other(unique, rotating_secrets):
    # Given an SSO contract and the webhook mid-rotation
    org = sso_organization(unique)
    auto = contract(org, "Auto")
    now = int(time.time())
    # When Keycloak still signs with the old secret, then with the new one
    old = login_event(f"kc-old-{unique}", org.sso_organization_id)
    new = login_event(f"kc-new-{unique}", org.sso_organization_id)
    other = login_event(f"kc-other-{unique}", org.sso_organization_id)
    answers = [
        webhook(old, sign("old-webhook-secret", now, old)),
        webhook(new, sign("new-webhook-secret", now, new)),
        webhook(other, sign(LOCAL_WEBHOOK_SECRET, now, other)),
    ]
    # Then both rotation secrets are accepted and attach; any other secret is refused
    assert [a.status for a in answers] == [200, 200, 401]
    assert contracts_of(f"kc-old-{unique}") == {auto.id}
    assert contracts_of(f"kc-new-{unique}") == {auto.id}
    assert contracts_of(f"kc-other-{unique}") == set()
