"""Checkout API over the handler (moto server): quotes, completion, idempotency, attach, throttling."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from b2b.db import contracts as contract_repo
from b2b.db import keys
from b2b.db.models import CodeAttemptsItem, EnrollmentCodeItem, EnrollmentItem
from b2b.domain import code_format
from b2b.domain.model import MembershipType, utcnow
from checkout_api.handler import lambda_handler

from tests import builders, store_reads
from tests.factories import call, generate_api_gw_event, learner_claims


def post(path: str, body: object, sub: str, headers: dict[str, str] | None = None, **claims: str):
    event = generate_api_gw_event("POST", path, body, claims=learner_claims(sub) | claims, headers=headers)
    return call(lambda_handler, event)


@pytest.fixture
def free_course(unique):
    org = builders.organization(unique)
    contract = builders.contract(org, max_learners=5)
    product = builders.product(contract)
    return contract, product


def test_validate_without_code_shows_a_stranger_nothing_even_at_zero(free_course, unique):
    # Given a $0 product of a contract run
    _, product = free_course
    # When a learner who is not attached validates it without a code
    result = post("/v1/checkout/validate", {"product_ids": [product.id]}, f"l-{unique}")
    # Then the line is not payable and reads as an unknown product (no contract, run or price)
    assert result.status == 200
    line = result.body["lines"][0]
    assert line["valid"] is False
    assert line["reasons"] == ["unknown_product"]
    assert (line["contract_id"], line["run_id"], line["list_price"]) == (None, None, "0")
    assert result.body["valid"] is False


def test_validate_with_a_valid_code_prices_the_line(unique):
    # Given a priced contract and a code that brings the price to 0
    org = builders.organization(unique)
    contract = builders.contract(org, price=Decimal("99.00"))
    product = builders.product(contract)
    value = builders.code(product, amount=Decimal("0"))
    # When the learner validates with the code typed in display form
    result = post(
        "/v1/checkout/validate",
        {"product_ids": [product.id], "code": code_format.display(value).lower()},
        f"l-{unique}",
    )
    # Then the line is valid at the code's price
    assert result.status == 200, result.body
    line = result.body["lines"][0]
    assert line["valid"] is True
    assert Decimal(line["list_price"]) == Decimal("99")
    assert Decimal(line["price"]) == 0
    assert result.body["requires_payment"] is False


def test_unknown_deactivated_and_foreign_codes_get_one_answer(free_course, unique):
    _contract, product = free_course
    other = builders.product(builders.contract(builders.organization(unique + "X")))
    deactivated = builders.code(product, status="deactivated")
    foreign = builders.code(other)
    answers = []
    for typed in (code_format.generate_code(), deactivated, foreign, "not a code"):
        result = post("/v1/checkout/validate", {"product_ids": [product.id], "code": typed}, f"u-{unique}")
        answers.append(
            (result.status, result.body["lines"][0]["reasons"], result.body["lines"][0]["message"])
        )
    assert len(set(map(str, answers))) == 1
    # (to a learner not attached to the contract, the product itself reads as unknown)
    assert answers[0][1] == ["unknown_product"]


def test_code_for_another_product_and_closed_contract(unique):
    org = builders.organization(unique)
    closed = builders.contract(org, end=utcnow() - timedelta(days=1), start=utcnow() - timedelta(days=9))
    first, second = builders.product(closed), builders.product(closed)
    value = builders.code(second)
    result = post("/v1/checkout/validate", {"product_ids": [first.id], "code": value}, f"l-{unique}")
    assert result.body["lines"][0]["reasons"] == ["code_not_for_product", "contract_not_open"]


def test_unknown_product(unique):
    result = post("/v1/checkout/validate", {"product_ids": [2**52]}, f"l-{unique}")
    assert result.status == 200
    assert result.body["lines"][0]["reasons"] == ["unknown_product"]


def test_complete_redeems_attaches_and_enrolls_once(free_course, unique, ddb_requests):
    contract, product = free_course
    value = builders.code(product)
    user = f"buyer-{unique}"
    body = {"product_ids": [product.id], "code": value, "order_reference": "order-1"}
    # When the learner completes a $0 basket
    ddb_requests.reset()
    first = post("/v1/checkout/complete", body, user, headers={"idempotency-key": f"k-{unique}"})
    requests = list(ddb_requests.calls)
    # Then it is completed in at most three requests, with one transaction
    assert first.status == 200, first.body
    assert first.body["status"] == "completed"
    assert first.body["requires_payment"] is False
    assert first.body["attached"] is True
    assert requests == ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]
    item = EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK)
    assert (item.status, item.redemptions, item.redeemed_by) == ("redeemed", 1, user)
    assert EnrollmentItem.get(keys.user_pk(user), keys.enrollment_sk(product.run_id)).source == "checkout"
    assert contract_repo.get_seats_taken(contract.id) == 1
    trail = store_reads.audit_trail(contract.id)
    assert sorted(a["action"] for a in trail) == ["code_redeemed", "learner_attached"]
    assert {(a["actor"], a["code"], a["source"], a["contract_id"]) for a in trail} == {
        (user, value, "checkout", contract.id)
    }
    # And a retry with the same key answers the same, byte for byte
    again = post("/v1/checkout/complete", body, user, headers={"idempotency-key": f"k-{unique}"})
    assert again.status == 200
    assert again.body == first.body
    # And the same key with another body is refused
    other = post(
        "/v1/checkout/complete",
        body | {"order_reference": "order-2"},
        user,
        headers={"idempotency-key": f"k-{unique}"},
    )
    assert (other.status, other.body["error"]["code"]) == (409, "idempotency_key_reused")
    # And without the key the natural key (user + product) refuses a second enrollment
    twice = post("/v1/checkout/complete", body, user)
    assert twice.status == 409
    assert twice.body["error"]["code"] == "code_already_used"


def test_member_checking_out_a_second_course_takes_no_new_seat(unique):
    org = builders.organization(unique)
    contract = builders.contract(org, max_learners=1)
    p1, p2 = builders.product(contract), builders.product(contract)
    user = f"two-{unique}"
    assert (
        post("/v1/checkout/complete", {"product_ids": [p1.id], "code": builders.code(p1)}, user).status == 200
    )
    second = post("/v1/checkout/complete", {"product_ids": [p2.id], "code": builders.code(p2)}, user)
    assert second.status == 200, second.body
    assert second.body["attached"] is False
    assert contract_repo.get_seats_taken(contract.id) == 1


def test_unlimited_code_serves_many_learners(unique):
    org = builders.organization(unique)
    contract = builders.contract(org)
    product = builders.product(contract)
    value = builders.code(product, kind="unlimited")
    for i in range(3):
        result = post("/v1/checkout/complete", {"product_ids": [product.id], "code": value}, f"u{i}-{unique}")
        assert result.status == 200, result.body
    item = EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK)
    assert (item.status, item.redemptions) == ("available", 3)


def test_priced_total_opens_an_order_and_nothing_is_redeemed_before_payment(unique):
    # Given a priced contract and a fixed-price code
    org = builders.organization(unique)
    contract = builders.contract(org, price=Decimal("50"))
    product = builders.product(contract)
    value = builders.code(product, amount=Decimal("50"))
    # When the learner completes
    result = post("/v1/checkout/complete", {"product_ids": [product.id], "code": value}, f"p-{unique}")
    # Then an order waits for payment with the total; the code is reserved for them, not redeemed
    assert result.status == 200, result.body
    assert result.body["status"] == "pending_payment"
    assert Decimal(result.body["total"]) == Decimal("50")
    assert (result.body["order"]["state"], result.body["order"]["amount"]) == ("pending_payment", "50")
    item = EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK)
    assert (item.status, item.reserved_by) == ("available", f"p-{unique}")


def test_managed_contract_needs_the_sso_claim(unique):
    org = builders.organization(unique, sso_organization_id=f"idp-{unique}")
    contract = builders.contract(org, membership_type=MembershipType.MANAGED)
    product = builders.product(contract)
    value = builders.code(product)
    body = {"product_ids": [product.id], "code": value}
    without = post("/v1/checkout/complete", body, f"m-{unique}")
    assert (without.status, without.body["error"]["code"]) == (403, "sso_required")
    wrong = post("/v1/checkout/complete", body, f"m-{unique}", **{"custom:sso_org_id": "someone-else"})
    assert wrong.status == 403
    right = post("/v1/checkout/complete", body, f"m-{unique}", **{"custom:sso_org_id": f"idp-{unique}"})
    assert right.status == 200, right.body


def test_attach_by_code(unique):
    org = builders.organization(unique)
    contract = builders.contract(org, max_learners=1)
    product = builders.product(contract)
    value = builders.code(product)
    first = post(f"/v1/codes/{value}/attach", None, f"a-{unique}")
    assert first.status == 201, first.body
    assert first.body == {"status": "attached", "contract_id": contract.id, "organization_id": org.id}
    assert post(f"/v1/codes/{value}/attach", None, f"a-{unique}").status == 200
    full = post(f"/v1/codes/{builders.code(product)}/attach", None, f"b-{unique}")
    assert (full.status, full.body["error"]["code"]) == (409, "contract_full")
    unknown = post(f"/v1/codes/{code_format.generate_code()}/attach", None, f"a-{unique}")
    used = builders.code(product, status="redeemed")
    used_answer = post(f"/v1/codes/{used}/attach", None, f"a-{unique}")
    assert unknown.status == used_answer.status == 404
    assert unknown.body == used_answer.body
    # The code is not used up by attaching: the learner can still check out with it
    assert EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK).status == "available"


def test_wrong_codes_are_throttled_per_user(free_course, unique):
    _, product = free_course
    user = f"guesser-{unique}"
    answers = [
        post(
            "/v1/checkout/validate", {"product_ids": [product.id], "code": code_format.generate_code()}, user
        )
        for _ in range(11)
    ]
    assert [a.status for a in answers[:10]] == [200] * 10
    assert answers[10].status == 429
    assert int(answers[10].headers["Retry-After"]) >= 1
    # Another learner is not affected
    assert (
        post("/v1/checkout/validate", {"product_ids": [product.id], "code": "X"}, f"other-{unique}").status
        == 200
    )


def test_bad_input_names_the_field(unique):
    result = post("/v1/checkout/validate", {"product_ids": []}, f"l-{unique}")
    assert result.status == 422
    assert result.body["error"]["details"][0]["field"] == "product_ids"
    anonymous = call(
        lambda_handler, generate_api_gw_event("POST", "/v1/checkout/validate", {"product_ids": [1]})
    )
    assert anonymous.status == 401


@pytest.mark.parametrize("name", ["checkout_validate.json", "checkout_complete.json", "checkout_attach.json"])
def test_sample_events_are_answered_without_a_server_error(name):
    # Given a sample event as API Gateway sends it (events/), naming a product and code that do not exist
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / name).read_text())
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = f"sample-{uuid.uuid4().hex}"
    # When the handler runs it
    result = call(lambda_handler, event)
    # Then it answers as the API documents: a quote, or the uniform not-found
    assert result.status in {200, 404}
    assert result.status < 500


def test_failed_attempt_window_expires_by_ttl(free_course, unique):
    # Given a learner who typed a wrong code
    _, product = free_course
    user = f"ttl-{unique}"
    post("/v1/checkout/validate", {"product_ids": [product.id], "code": code_format.generate_code()}, user)
    # Then their attempt window counts it and carries a TTL past the window's end
    windows = list(CodeAttemptsItem.query(keys.code_attempts_pk(user)))
    assert len(windows) == 1
    assert windows[0].attempts == 1
    assert windows[0].expires_at > windows[0].window_ends_at > utcnow().timestamp()


def test_a_one_time_code_attaches_one_learner_who_alone_can_check_out_with_it(unique):
    # Given a one-time code of an uncapped contract
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    value = builders.code(product)
    # When one learner attaches with it
    assert post(f"/v1/codes/{value}/attach", None, f"owner-{unique}").status == 201
    # Then it attaches nobody else (the same uniform answer as an unknown code)
    other = post(f"/v1/codes/{value}/attach", None, f"other-{unique}")
    unknown = post(f"/v1/codes/{code_format.generate_code()}/attach", None, f"other-{unique}")
    assert (other.status, other.body) == (unknown.status, unknown.body)
    assert contract_repo.get_seats_taken(contract.id) == 1
    # And nobody else can check out with it, while its owner can
    body = {"product_ids": [product.id], "code": value}
    refused = post("/v1/checkout/complete", body, f"other-{unique}")
    assert (refused.status, refused.body["error"]["code"]) == (409, "code_already_used")
    done = post("/v1/checkout/complete", body, f"owner-{unique}")
    assert (done.status, done.body["status"]) == (200, "completed")
    item = EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK)
    assert (item.status, item.redeemed_by, item.claimed_by) == (
        "redeemed",
        f"owner-{unique}",
        f"owner-{unique}",
    )


def test_a_redeemed_code_leaves_the_available_list(unique):
    # Given a one-time code listed as available
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    value = builders.code(product)
    # When a learner checks out with it
    assert (
        post("/v1/checkout/complete", {"product_ids": [product.id], "code": value}, f"l-{unique}").status
        == 200
    )
    # Then its by-status index key moved with its status
    item = EnrollmentCodeItem.get(keys.code_pk(value), keys.CODE_SK)
    assert item.status == "redeemed"
    assert item.gsi2pk == keys.contract_codes_by_status_gsi2_pk(contract.id, "redeemed")
