"""Checkout over HTTP on the local stack: races for codes and seats, idempotent retries, SSO."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from b2b.db import contracts as contract_repo
from b2b.db import keys, memberships
from b2b.db.models import CodeCounterItem, EnrollmentCodeItem, EnrollmentItem
from b2b.domain.model import MembershipType

from tests import builders
from tests.e2e.conftest import learner_headers

RACERS = 32


def complete(http: httpx.Client, sub: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return http.post("/v1/checkout/complete", json=body, headers=learner_headers(sub) | headers)


def code_item(value: str) -> EnrollmentCodeItem:
    return EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK)


def test_fifty_learners_race_for_one_code(http, unique):
    # Given one one-time code for a $0 product
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    value = builders.code(product)
    body = {"product_ids": [product.id], "code": value}
    # When 50 learners complete with it at the same time
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(lambda i: complete(http, f"racer-{unique}-{i}", body), range(50)))
    # Then exactly one succeeds and the 49 others are told the code is used
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 1, [a.text for a in answers if a.status_code >= 500]
    losers = [a.json()["error"]["code"] for a in answers if a.status_code != 200]
    assert losers == ["code_already_used"] * 49
    assert {a.status_code for a in answers if a.status_code != 200} == {409}
    item = code_item(value)
    assert (item.status, item.redemptions) == ("redeemed", 1)
    assert contract_repo.get_seats_taken(contract.id) == 1


def test_hundred_learners_with_their_own_codes_fill_ten_seats(stack, http, unique):
    # Given a contract capped at 10 and 100 learners, each holding a different code
    contract = builders.contract(builders.organization(unique), max_learners=10)
    product = builders.product(contract)
    values = builders.codes(product, 100)
    # (the reconciler has finished with the contract: it issues its own codes and counts them)
    assert stack.poller.wait_idle(120)
    counter_key = (keys.contract_pk(contract.id), keys.code_counter_sk(product.id))
    available_before = CodeCounterItem.get(*counter_key).available
    # When they all complete at once
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(
            pool.map(
                lambda i: complete(
                    http, f"seat-{unique}-{i}", {"product_ids": [product.id], "code": values[i]}
                ),
                range(100),
            )
        )
    # Then exactly 10 are attached and enrolled, 90 are told the contract is full
    winners = [i for i, a in enumerate(answers) if a.status_code == 200]
    assert len(winners) == 10, [a.text for a in answers if a.status_code >= 500]
    losers = [a for a in answers if a.status_code != 200]
    assert {(a.status_code, a.json()["error"]["code"]) for a in losers} == {(409, "contract_full")}
    # And the seat counter, the memberships and the redeemed codes all say 10
    assert contract_repo.get_seats_taken(contract.id) == 10
    assert len(memberships.list_learners(contract.id, 200, None).items) == 10
    statuses = [code_item(v).status for v in values]
    assert statuses.count("redeemed") == 10
    counter = CodeCounterItem.get(*counter_key)
    assert (counter.redeemed, counter.available) == (10, available_before - 10)
    # And the 90 losers' codes are still unused
    assert all(code_item(values[i]).status == "available" for i in range(100) if i not in winners)


def test_twenty_parallel_retries_with_one_key_enroll_once(http, unique):
    # Given a learner with a code
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    value = builders.code(product)
    user = f"retry-{unique}"
    body = {"product_ids": [product.id], "code": value, "order_reference": f"order-{unique}"}
    # When the same complete is sent 20 times in parallel with one Idempotency-Key
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda _: complete(http, user, body, **{"Idempotency-Key": f"key-{unique}"}), range(20))
        )
    # Then every answer is the first one, byte for byte
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["status"] == "completed"
    # And there is one enrollment and one redeemed code
    enrollments = list(EnrollmentItem.query(keys.user_pk(user), EnrollmentItem.sk.startswith("ENROLLMENT#")))
    assert len(enrollments) == 1
    item = code_item(value)
    assert (item.status, item.redemptions, item.redeemed_by) == ("redeemed", 1, user)
    assert contract_repo.get_seats_taken(contract.id) == 1


def test_managed_contract_needs_the_organization_sso_claim(http, unique):
    # Given a managed contract of an organization known to the IdP as idp-<unique>
    org = builders.organization(unique, sso_organization_id=f"idp-{unique}")
    contract = builders.contract(org, membership_type=MembershipType.MANAGED)
    product = builders.product(contract)
    value = builders.code(product)
    body = {"product_ids": [product.id], "code": value}
    # When a learner without the SSO claim validates and completes
    validated = http.post("/v1/checkout/validate", json=body, headers=learner_headers(f"m-{unique}"))
    refused = complete(http, f"m-{unique}", body)
    # Then both say sso_required
    assert validated.json()["lines"][0]["reasons"] == ["sso_required"]
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "sso_required")
    # And with the claim the checkout succeeds
    headers = learner_headers(f"m-{unique}", **{"custom:sso_org_id": f"idp-{unique}"})
    accepted = http.post("/v1/checkout/complete", json=body, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "completed"


def test_attach_by_code_over_http(http, unique):
    contract = builders.contract(builders.organization(unique), max_learners=3)
    product = builders.product(contract)
    value = builders.code(product)
    first = http.post(f"/v1/codes/{value}/attach", headers=learner_headers(f"a-{unique}"))
    again = http.post(f"/v1/codes/{value}/attach", headers=learner_headers(f"a-{unique}"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert http.post(f"/v1/codes/{value}/attach").status_code == 401
