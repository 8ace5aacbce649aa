"""Checkout orchestration against an in-memory store: completing once, replays, lost races, retries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from b2b.db import retry
from b2b.domain.errors import Conflict, NotFound, Throttled
from b2b.services import checkout, orders
from b2b.services.checkout import Learner

from tests.unit.fakes import FakeCheckoutStore, FakeOrdersStore, StoredCode, make_contract, make_product

ALICE = Learner("alice", None)
BOB = Learner("bob", None)
CODE = "ABCDEFGHJKMNPQRS"  # normalized form: 16 Crockford base32 characters
OTHER_CODE = "ABCDEFGHJKMNPQRT"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeCheckoutStore:
    # Given a code contract with two seats, one $0 product and one one-time code for it
    fake = FakeCheckoutStore()
    fake.add_contract(make_contract(7, max_learners=2))
    fake.products[11] = make_product(11, contract_id=7)
    fake.codes[CODE] = StoredCode(CODE, contract_id=7, product_id=11)
    monkeypatch.setattr(checkout, "repo", fake)
    return fake


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The retry pauses taken (by attempt), without sleeping."""
    taken: list[int] = []
    monkeypatch.setattr(retry, "pause", taken.append)
    return taken


def test_a_free_basket_with_a_valid_code_completes_once(store):
    # When Alice completes the basket with the code
    outcome = checkout.complete(ALICE, [11], CODE, "order-1", None)

    # Then the receipt says completed and attached, and exactly one of each write happened
    assert outcome.receipt["status"] == "completed"
    assert outcome.receipt["attached"] is True
    assert outcome.receipt["enrollment"]["run_id"] == store.products[11].run_id
    assert store.codes[CODE].status == "redeemed"
    assert store.codes[CODE].redeemed_by == "alice"
    assert store.taken[7] == 1
    assert store.members == {(7, "alice")}
    assert store.enrollments == {("alice", store.products[11].run_id)}


def test_a_replay_answers_the_stored_receipt_and_writes_nothing(store):
    # Given a completed checkout under an Idempotency-Key
    first = checkout.complete(ALICE, [11], CODE, "order-1", "key-1")

    # When the same request comes again
    again = checkout.complete(ALICE, [11], CODE, "order-1", "key-1")

    # Then it is the first receipt, marked as a replay, and no second seat was taken
    assert again.replayed is True
    assert again.receipt == first.receipt
    assert store.taken[7] == 1
    assert store.commits == 1


def test_the_same_key_with_another_body_is_refused(store):
    # Given a completed checkout under an Idempotency-Key
    checkout.complete(ALICE, [11], CODE, "order-1", "key-1")

    # When another body comes with that key, Then it is refused as a reused key
    with pytest.raises(Conflict) as refused:
        checkout.complete(ALICE, [11], CODE, "order-2", "key-1")
    assert refused.value.code == "idempotency_key_reused"


def test_the_loser_of_a_race_answers_from_the_new_state(store):
    # Given Bob redeems the code between Alice's read and her write
    def bob_wins() -> None:
        store.before_commit = None
        checkout.complete(BOB, [11], CODE, None, None)

    store.before_commit = bob_wins

    # When Alice completes, Then she is told the code is used (decided on a fresh read)
    with pytest.raises(Conflict) as lost:
        checkout.complete(ALICE, [11], CODE, None, None)
    assert lost.value.code == "code_already_used"

    # And only Bob holds a seat and the redemption
    assert store.codes[CODE].redeemed_by == "bob"
    assert store.members == {(7, "bob")}
    assert store.taken[7] == 1


def test_the_last_seat_goes_to_one_learner_and_the_other_hears_contract_full(store):
    # Given a one-seat contract, two codes, and Bob taking the seat while Alice decides
    store.caps[7] = 1
    store.codes[OTHER_CODE] = StoredCode(OTHER_CODE, contract_id=7, product_id=11)

    def bob_takes_the_seat() -> None:
        store.before_commit = None
        checkout.complete(BOB, [11], OTHER_CODE, None, None)

    store.before_commit = bob_takes_the_seat

    # When Alice completes, Then the contract is full for her and her code is untouched
    with pytest.raises(Conflict) as full:
        checkout.complete(ALICE, [11], CODE, None, None)
    assert full.value.code == "contract_full"
    assert store.codes[CODE].status == "available"
    assert store.taken[7] == 1


def test_transaction_conflicts_are_retried_with_pauses_then_succeed(store, pauses):
    # Given DynamoDB cancels the first two commits for a concurrent transaction
    store.conflicts_to_inject = 2

    # When Alice completes
    outcome = checkout.complete(ALICE, [11], CODE, None, None)

    # Then the third commit went through after two growing pauses
    assert outcome.receipt["status"] == "completed"
    assert store.commits == 3
    assert pauses == [0, 1]


def test_endless_conflicts_give_up_after_the_policy_s_attempts(store, pauses):
    # Given every commit collides with another transaction
    store.conflicts_to_inject = 10_000

    # When Alice completes, Then she is told to retry after exactly the policy's attempts
    with pytest.raises(Conflict) as busy:
        checkout.complete(ALICE, [11], CODE, None, None)
    assert busy.value.code == "checkout_busy"
    assert store.commits == retry.ATTEMPTS
    assert store.taken[7] == 0


def test_a_wrong_code_is_counted_and_the_limit_turns_into_429(store, monkeypatch):
    # Given a learner one wrong attempt away from the limit
    store.failed_attempts["alice"] = 9

    # When they try a code that does not exist, Then it is not found and counted
    with pytest.raises(NotFound):
        checkout.complete(ALICE, [11], "ZZZZZZZZZZZZZZZZ", None, None)
    assert store.failed_attempts["alice"] == 10

    # And the next attempt with any code is throttled before anything is judged
    with pytest.raises(Throttled):
        checkout.complete(ALICE, [11], CODE, None, None)
    assert store.codes[CODE].status == "available"


@pytest.fixture
def order_store(store: FakeCheckoutStore, monkeypatch: pytest.MonkeyPatch) -> FakeOrdersStore:
    fake = FakeOrdersStore(store)
    monkeypatch.setattr(orders, "repo", fake)
    return fake


def test_a_priced_basket_opens_an_order_and_redeems_nothing(store, order_store):
    # Given a product with a price and a code that leaves part of it to pay
    store.products[12] = make_product(12, contract_id=7, price="40")
    store.codes[OTHER_CODE] = StoredCode(OTHER_CODE, contract_id=7, product_id=12, amount=Decimal("15"))

    # When Alice completes
    outcome = checkout.complete(ALICE, [12], OTHER_CODE, "order-9", None)

    # Then an order waits for the code's amount, holding a seat and reserving the code for her
    receipt = outcome.receipt
    assert (receipt["status"], receipt["total"], receipt["order_reference"]) == (
        "pending_payment",
        "15",
        "order-9",
    )
    order = receipt["order"]
    assert (order["state"], order["amount"], order["holds_seat"]) == ("pending_payment", "15", True)
    assert list(order_store.orders) == [order["order_id"]]
    assert store.holds[7]["alice"].order_id == order["order_id"]
    assert store.codes[OTHER_CODE].reserved_by == "alice"
    # And nothing was redeemed, attached or enrolled: that waits for the payment
    assert store.commits == 0
    assert (store.codes[OTHER_CODE].status, store.codes[OTHER_CODE].redemptions) == ("available", 0)
    assert (store.taken[7], store.members, store.enrollments) == (0, set(), set())


def test_a_member_checks_out_a_priced_run_without_a_code(store, order_store):
    # Given Alice is a member of a contract with a price (at terms version 3)
    store.add_contract(make_contract(7, max_learners=2, price=Decimal("40"), terms_version=3))
    store.products[12] = make_product(12, contract_id=7)
    store.members.add((7, "alice"))
    store.taken[7] = 1

    # When she completes without a code
    receipt = checkout.complete(ALICE, [12], None, None, None).receipt

    # Then an order waits for the price, holding no seat and reserving no code
    order = order_store.orders[receipt["order"]["order_id"]]
    assert (receipt["status"], receipt["order"]["amount"]) == ("pending_payment", "40")
    assert (order.code, order.holds_seat, order.terms_version) == (
        None,
        False,
        store.contracts[7].terms_version,
    )
    assert (store.holds.get(7, {}), store.enrollments, store.taken[7]) == ({}, set(), 1)


def test_attach_by_code_takes_a_seat_once(store):
    # When Alice attaches with the code twice
    first, contract = checkout.attach_by_code(ALICE, CODE)
    second, _ = checkout.attach_by_code(ALICE, CODE)

    # Then she is attached once, holds one seat, and the one-time code is hers for her checkout
    assert (first, second) == ("attached", "already_attached")
    assert contract.id == 7
    assert store.taken[7] == 1
    assert store.codes[CODE].claimed_by == "alice"
    assert store.codes[CODE].status == "available"


def test_a_code_claimed_by_another_learner_does_not_attach(store):
    # Given Bob attached with the one-time code
    checkout.attach_by_code(BOB, CODE)

    # When Alice tries it, Then it is not valid for her and she holds no seat
    with pytest.raises(NotFound) as refused:
        checkout.attach_by_code(ALICE, CODE)
    assert refused.value.code == "code_invalid"
    assert (7, "alice") not in store.members
