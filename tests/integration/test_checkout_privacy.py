"""What checkout and attach-by-code tell a learner about contracts they cannot use: nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from b2b.domain import code_format
from b2b.domain.model import MembershipType, utcnow
from b2b.services import provisioning
from checkout_api.handler import lambda_handler

from tests import builders
from tests.factories import call, generate_api_gw_event, learner_claims

LIMIT = 10  # CODE_ATTEMPT_LIMIT's default: failed attempts a learner may make per window


def post(path: str, body: object, sub: str, **claims: str):
    return call(
        lambda_handler, generate_api_gw_event("POST", path, body, claims=learner_claims(sub) | claims)
    )


def unknown_line(product_id: int) -> dict:
    """What a product that does not exist looks like: the yardstick every hidden product must match."""
    return {
        "product_id": product_id,
        "contract_id": None,
        "run_id": None,
        "list_price": "0",
        "price": "0",
        "valid": False,
        "reasons": ["unknown_product"],
        "message": "This product does not exist or is no longer sold.",
    }


def customers(unique: str) -> list[int]:
    """Products of several customers' contracts: free, priced, full, closed, managed, inactive."""
    products = []
    for n, options in enumerate(
        [
            {},
            {"price": Decimal("120")},
            {"max_learners": 1},
            {"start": utcnow() - timedelta(days=9), "end": utcnow() - timedelta(days=1)},
            {"membership_type": MembershipType.MANAGED},
            {"active": False},
        ]
    ):
        contract = builders.contract(builders.organization(f"{unique}{n}"), **options)
        products.append(builders.product(contract).id)
    return products


def test_a_stranger_probing_product_ids_learns_nothing_and_is_throttled(unique):
    # Given products of six customers' contracts, among 1,000 product ids around them
    real = customers(unique)
    others = [i for i in range(1, 2000) if i not in real]
    probe = sorted(others[: 1000 - len(real)] + real)
    assert set(real) <= set(probe) and len(probe) == 1000
    # When a learner with no membership and no code validates them, 20 ids a request
    answers = []
    for start in range(0, len(probe), 20):
        answer = post("/v1/checkout/validate", {"product_ids": probe[start : start + 20]}, f"prober-{unique}")
        answers.append(answer)
        if answer.status == 429:
            break
    # Then every line it was shown reads exactly as a product that does not exist
    shown = [line for answer in answers if answer.status == 200 for line in answer.body["lines"]]
    assert shown and all(line == unknown_line(line["product_id"]) for line in shown)
    # And it was throttled within the first 30 requests (after the allowed failed attempts)
    assert answers[-1].status == 429, [a.status for a in answers]
    assert len(answers) <= 30 and len(answers) == LIMIT + 1
    assert answers[-1].body["error"]["code"] == "too_many_code_attempts"
    assert int(answers[-1].headers["Retry-After"]) >= 1


def test_complete_refuses_a_hidden_product_as_an_unknown_one(unique):
    real = customers(unique)
    hidden = post("/v1/checkout/complete", {"product_ids": [real[1]]}, f"c-{unique}")
    missing = post("/v1/checkout/complete", {"product_ids": [2**52]}, f"c-{unique}")
    assert (hidden.status, hidden.body["error"]["code"]) == (404, "unknown_product")
    assert hidden.body["error"]["message"] == missing.body["error"]["message"]
    assert [d["message"] for d in hidden.body["error"]["details"]] == [
        d["message"] for d in missing.body["error"]["details"]
    ]


def test_members_and_code_holders_still_see_their_contract(unique):
    # Given a capped contract with a product and a code, and a learner an admin attached
    contract = builders.contract(builders.organization(unique), max_learners=5)
    product = builders.product(contract)
    value = builders.code(product)
    provisioning.attach_learner(contract.id, f"member-{unique}")
    # Then the member sees the product's contract and run without a code
    member = post("/v1/checkout/validate", {"product_ids": [product.id]}, f"member-{unique}")
    assert (member.body["lines"][0]["contract_id"], member.body["lines"][0]["run_id"]) == (
        contract.id,
        product.run_id,
    )
    # And a stranger holding one of its codes sees it too, priced by the code
    holder = post("/v1/checkout/validate", {"product_ids": [product.id], "code": value}, f"holder-{unique}")
    assert holder.body["lines"][0]["contract_id"] == contract.id
    assert holder.body["valid"] is True


def test_attach_gives_one_answer_for_every_code_the_learner_cannot_use_and_counts_it(unique):
    # Given codes a learner cannot use: unknown, deactivated, of an inactive contract, of a closed
    # contract, of a managed contract of an organization they do not sign in with, and used up
    org = builders.organization(unique, sso_organization_id=f"idp-{unique}")
    usable = builders.product(builders.contract(org))
    inactive = builders.product(builders.contract(org, active=False))
    closed = builders.product(
        builders.contract(org, start=utcnow() - timedelta(days=9), end=utcnow() - timedelta(days=1))
    )
    managed = builders.product(builders.contract(org, membership_type=MembershipType.MANAGED))
    used = builders.code(usable)
    assert (
        post("/v1/checkout/complete", {"product_ids": [usable.id], "code": used}, f"first-{unique}").status
        == 200
    )
    codes = [
        code_format.generate_code(),
        builders.code(usable, status="deactivated"),
        builders.code(inactive),
        builders.code(closed),
        builders.code(managed),
        used,
    ]
    # When a learner tries each
    answers = [post(f"/v1/codes/{value}/attach", None, f"a-{unique}") for value in codes]
    # Then each gets the same 404, word for word
    assert {(a.status, a.body["error"]["code"], a.body["error"]["message"]) for a in answers} == {
        (404, "code_invalid", "This enrollment code is not valid.")
    }
    # And each counted as a failed attempt: the rest of the allowance, then 429
    rest = [
        post(f"/v1/codes/{codes[2]}/attach", None, f"a-{unique}").status for _ in range(LIMIT - len(codes))
    ]
    assert set(rest) == {404}
    blocked = post(f"/v1/codes/{codes[4]}/attach", None, f"a-{unique}")
    assert (blocked.status, blocked.body["error"]["code"]) == (429, "too_many_code_attempts")
    # While the usable code still attaches a learner who may use it
    fine = builders.code(usable)
    assert post(f"/v1/codes/{fine}/attach", None, f"b-{unique}").status == 201
