"""Admin provisioning: attach, remove and list the learners of a contract, within the seat cap."""

from __future__ import annotations

from admin_api import handler as admin
from b2b.db import contracts as contract_repo
from b2b.domain.model import MembershipType

from tests.factories import admin_claims, call, generate_api_gw_event, learner_claims
from tests.sso_support import contract, sso_organization


def request(method: str, path: str, **kwargs):
    return call(admin.lambda_handler, generate_api_gw_event(method, path, claims=admin_claims(), **kwargs))


def test_put_delete_and_list_learners_within_the_cap(unique):
    org = sso_organization(unique)
    capped = contract(org, "Capped", MembershipType.CODE, max_learners=2)
    base = f"/v1/contracts/{capped.id}/learners"

    assert request("PUT", f"{base}/ann-{unique}").status == 201
    again = request("PUT", f"{base}/ann-{unique}")
    assert again.status == 200
    assert again.body["source"] == "admin"
    assert request("PUT", f"{base}/bob-{unique}").status == 201
    full = request("PUT", f"{base}/cat-{unique}")
    assert full.status == 409
    assert full.body["error"]["code"] == "contract_full"
    assert contract_repo.get_seats_taken(capped.id) == 2

    first = request("GET", base, query={"limit": "1"})
    assert first.status == 200
    assert len(first.body["items"]) == 1
    second = request("GET", base, query={"limit": "1", "cursor": first.body["next_cursor"]})
    assert {first.body["items"][0]["user_id"], second.body["items"][0]["user_id"]} == {
        f"ann-{unique}",
        f"bob-{unique}",
    }

    assert request("DELETE", f"{base}/ann-{unique}").status == 204
    assert request("DELETE", f"{base}/ann-{unique}").status == 404
    assert contract_repo.get_seats_taken(capped.id) == 1
    assert request("PUT", f"{base}/cat-{unique}").status == 201


def test_unknown_contract_is_404_and_learners_cannot_provision(unique):
    assert request("PUT", f"/v1/contracts/999999998/learners/x-{unique}").status == 404
    assert request("GET", "/v1/contracts/999999998/learners").status == 404
    forbidden = call(
        admin.lambda_handler,
        generate_api_gw_event("PUT", f"/v1/contracts/1/learners/x-{unique}", claims=learner_claims("sneaky")),
    )
    assert forbidden.status == 403
