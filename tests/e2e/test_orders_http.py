"""Paid contracts over HTTP on the local stack: orders that hold a seat and a code, the storefront's
payment confirmation with a client-credentials token, races for held seats, expiry, and Stripe."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from b2b.db import contracts as contract_repo
from b2b.db import keys, memberships
from b2b.db.models import EnrollmentCodeItem, EnrollmentItem
from b2b.domain.model import MembershipType, utcnow
from b2b_local.stack import LocalStack
from b2b_local.tokens import mint_client_token

from tests import builders
from tests.e2e.conftest import learner_headers
from tests.fake_stripe import API_KEY, WEBHOOK_SECRET, fake_stripe, session_event, signature_header

pytestmark = pytest.mark.e2e

PRICE = Decimal("49.00")
SHORT_HOLD = 20  # seconds: the race below (a few seconds on a warm stack) finishes well within it


def storefront() -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_client_token('storefront-e2e')}"}


def complete(http: httpx.Client, sub: str, product_id: int, code: str) -> httpx.Response:
    return http.post(
        "/v1/checkout/complete",
        json={"product_ids": [product_id], "code": code},
        headers=learner_headers(sub),
    )


def pay(
    http: httpx.Client, order_id: str, reference: str, amount: str = "49.00", **headers: str
) -> httpx.Response:
    return http.post(
        f"/v1/orders/{order_id}/payment",
        json={"payment_reference": reference, "amount": amount},
        headers=headers or storefront(),
    )


def enrollments_of(user: str) -> list[EnrollmentItem]:
    return list(EnrollmentItem.query(keys.user_pk(user), EnrollmentItem.sk.startswith("ENROLLMENT#")))


def test_learner_checks_out_a_priced_contract_and_the_storefront_confirms_payment(http, unique):
    # Given a priced contract capped at 3 and a learner with a fixed-price code
    contract = builders.contract(builders.organization(unique), max_learners=3, price=PRICE)
    product = builders.product(contract)
    code = builders.code(product, amount=PRICE)
    user = f"buyer-{unique}"
    # When the learner completes the basket
    started = complete(http, user, product.id, code)
    # Then an order waits for payment with the amount to charge; nothing is enrolled yet
    assert started.status_code == 200, started.text
    body = started.json()
    assert (body["status"], body["total"], body["requires_payment"]) == ("pending_payment", "49.00", True)
    order = body["order"]
    assert (order["state"], order["amount"], order["currency"], order["holds_seat"]) == (
        "pending_payment",
        "49.00",
        "usd",
        True,
    )
    assert enrollments_of(user) == []
    # When the learner's own token is used on the payment route, Then it is refused
    refused = pay(http, order["order_id"], f"pi-{unique}", **learner_headers(user))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "scope_required")
    assert http.post(f"/v1/orders/{order['order_id']}/payment", json={}).status_code == 401
    # When the storefront confirms the payment with its client-credentials token
    confirmed = pay(http, order["order_id"], f"pi-{unique}")
    # Then the order is fulfilled and the learner is enrolled in the run
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "fulfilled"
    mine = http.get("/v1/me/enrollments", headers=learner_headers(user)).json()["items"]
    assert [e["run_id"] for e in mine] == [product.run_id]
    # When the same confirmation arrives again, Then the answer is the same and there is one enrollment
    again = pay(http, order["order_id"], f"pi-{unique}")
    assert (again.status_code, again.json()) == (200, confirmed.json())
    assert len(enrollments_of(user)) == 1
    assert contract_repo.get_seats_taken(contract.id) == 1
    # And the learner sees the order among theirs, filtered by state
    listed = http.get("/v1/me/orders", params={"state": "fulfilled"}, headers=learner_headers(user)).json()
    assert [o["order_id"] for o in listed["items"]] == [order["order_id"]]
    # And another learner cannot see it
    assert (
        http.get(f"/v1/orders/{order['order_id']}", headers=learner_headers(f"x-{unique}")).status_code == 404
    )
    # And a payment of another amount for a new order is refused, changing nothing
    second = complete(http, f"other-{unique}", product.id, builders.code(product, amount=PRICE)).json()[
        "order"
    ]
    wrong = pay(http, second["order_id"], f"pi-2-{unique}", amount="1.00")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (409, "amount_mismatch")
    assert (
        http.get(f"/v1/orders/{second['order_id']}", headers=storefront()).json()["state"]
        == "pending_payment"
    )


def test_sixty_learners_over_five_paths_never_exceed_a_cap_of_ten(stack, http, admin_http, unique):
    # Given an auto contract of an SSO organization, capped at 10, with $0 and $49 codes
    org = builders.organization(unique, sso_organization_id=f"idp-{unique}")
    contract = builders.contract(org, membership_type=MembershipType.AUTO, max_learners=10)
    product = builders.product(contract)
    free_codes = builders.codes(product, 24)
    paid_codes = builders.codes(product, 12, amount=PRICE)

    def path(i: int) -> str:
        user = f"five-{unique}-{i}"
        kind = i % 5
        if kind == 0:  # SSO: the organization claim on the learner's token
            headers = learner_headers(user, organization={"org": {"id": f"idp-{unique}"}})
            return str(http.get("/v1/me/contracts", headers=headers).status_code)
        if kind == 1:  # $0 checkout with a code
            return str(complete(http, user, product.id, free_codes[i // 5]).status_code)
        if kind == 2:  # attach by code
            code = free_codes[12 + i // 5]
            return str(http.post(f"/v1/codes/{code}/attach", headers=learner_headers(user)).status_code)
        if kind == 3:  # admin provisioning
            return str(admin_http.put(f"/v1/contracts/{contract.id}/learners/{user}").status_code)
        started = complete(http, user, product.id, paid_codes[i // 5])  # paid: hold, then pay
        if started.status_code != 200:
            return str(started.status_code)
        return str(pay(http, started.json()["order"]["order_id"], f"pi-{unique}-{i}").json()["state"])

    # When 60 learners race, 12 on each path
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(pool.map(path, range(60)))
    elapsed = time.monotonic() - began
    assert stack.poller.wait_idle(120)
    # Then nothing failed, and exactly 10 learners hold the 10 seats (recounted from the memberships)
    assert not [o for o in outcomes if o.startswith("5")], outcomes
    members = memberships.list_learners(contract.id, 200, None).items
    assert len(members) == 10, (outcomes, elapsed)
    assert contract_repo.get_seats_taken(contract.id) == 10
    counter = memberships.read_seats(contract.id)
    assert counter is not None
    assert counter.held(utcnow()) == 0  # every hold became a seat or was released
    # And every paid order ended fulfilled or paid_unfulfillable (never a seat over the cap)
    assert {o for o in outcomes if not o.isdigit()} <= {"fulfilled", "paid_unfulfillable"}


@pytest.fixture(scope="module")
def stripe_api() -> Iterator[Any]:
    with fake_stripe() as fake:
        yield fake


@pytest.fixture(scope="module")
def short_stack(resources: Any, stripe_api: Any) -> Iterator[LocalStack]:
    """A second local stack over the same tables whose orders hold for a few seconds, with Stripe
    pointed at the fake API."""
    local = LocalStack(
        api_port=0,
        external_moto_url=resources.endpoint_url,
        prefix="b2b-test",
        workers=3,
        environment_overrides={
            "ORDER_HOLD_SECONDS": str(SHORT_HOLD),
            "STRIPE_API_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api.url,
        },
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def short_http(short_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=short_stack.api_url, timeout=60) as client:
        yield client


def test_twenty_learners_race_for_five_held_seats_and_an_expired_hold_frees_one(short_http, unique):
    # Given a priced contract capped at 5 and 21 learners, each with their own code
    contract = builders.contract(builders.organization(unique), max_learners=5, price=PRICE)
    product = builders.product(contract)
    codes = builders.codes(product, 21, amount=PRICE)
    # (every worker of the stack has started: a cold one would stretch the race)
    with ThreadPoolExecutor(max_workers=6) as pool:
        warm = list(
            pool.map(
                lambda _: short_http.post(
                    "/v1/checkout/validate",
                    json={"product_ids": [product.id]},
                    headers=learner_headers("warm"),
                ),
                range(6),
            )
        )
    assert {w.status_code for w in warm} == {200}
    # When 20 of them start paid checkouts at once
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda i: complete(short_http, f"hold-{unique}-{i}", product.id, codes[i]), range(20))
        )
    elapsed = time.monotonic() - began
    assert elapsed < SHORT_HOLD, elapsed
    # Then exactly 5 orders hold seats and 15 learners are told the contract is full before paying
    held = [a.json()["order"] for a in answers if a.status_code == 200]
    assert len(held) == 5, [a.text for a in answers if a.status_code >= 500]
    assert all(o["state"] == "pending_payment" and o["holds_seat"] for o in held)
    refusals = {(a.status_code, a.json()["error"]["code"]) for a in answers if a.status_code != 200}
    assert refusals == {(409, "contract_full")}
    counter = memberships.read_seats(contract.id)
    assert counter is not None
    assert (counter.taken, counter.held(utcnow())) == (0, 5)
    # When one hold expires (no sweep runs), Then the next learner's checkout gets that seat
    first_end = min(datetime.fromisoformat(o["hold_expires_at"]) for o in held)
    time.sleep(max(0.0, (first_end - utcnow()).total_seconds()) + 1.0)
    late = complete(short_http, f"hold-{unique}-20", product.id, codes[20])
    assert late.status_code == 200, late.text
    assert late.json()["order"]["holds_seat"] is True
    # And the seats held never exceed the cap
    counter = memberships.read_seats(contract.id)
    assert counter is not None
    assert counter.taken + counter.held(utcnow()) <= 5


def test_stripe_checkout_session_and_webhook(short_http, stripe_api, unique):
    # Given a learner's pending order on a priced contract capped at 1
    contract = builders.contract(builders.organization(unique), max_learners=1, price=PRICE)
    product = builders.product(contract)
    code = builders.code(product, amount=PRICE)
    user = f"stripe-{unique}"
    order = complete(short_http, user, product.id, code).json()["order"]
    # When the learner asks for a Stripe Checkout Session
    session = short_http.post(f"/v1/orders/{order['order_id']}/stripe-session", headers=learner_headers(user))
    # Then Stripe was asked for the order's amount, currency and id
    assert session.status_code == 200, session.text
    sent = stripe_api.sessions[-1]
    assert (sent["line_items[0][price_data][unit_amount]"], sent["line_items[0][price_data][currency]"]) == (
        "4900",
        "usd",
    )
    assert sent["metadata[order_id]"] == order["order_id"]
    assert int(sent["expires_at"]) >= int(datetime.fromisoformat(order["hold_expires_at"]).timestamp())
    session_id = session.json()["session_id"]
    paid_session = {
        "id": session_id,
        "metadata": {"order_id": order["order_id"]},
        "payment_intent": f"pi_{unique}",
        "amount_total": 4900,
        "currency": "usd",
        "payment_status": "paid",
    }
    payload = session_event("checkout.session.completed", paid_session)
    # When the webhook arrives with a bad signature, Then it is refused and nothing changes
    forged = short_http.post(
        "/v1/hooks/stripe",
        content=payload,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": signature_header(payload, "whsec_wrong"),
        },
    )
    assert forged.status_code == 400, forged.text
    assert (
        short_http.get(f"/v1/orders/{order['order_id']}", headers=storefront()).json()["state"]
        == "pending_payment"
    )
    # When the signed completion is delivered three times
    answers = [
        short_http.post(
            "/v1/hooks/stripe",
            content=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature_header(payload)},
        )
        for _ in range(3)
    ]
    # Then the order is fulfilled once: one enrollment, one seat
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert [a.json()["replayed"] for a in answers] == [False, True, True]
    assert len(enrollments_of(user)) == 1
    assert contract_repo.get_seats_taken(contract.id) == 1


def test_an_expired_stripe_session_cancels_the_order_and_frees_its_holds(short_http, unique):
    # Given a pending order holding the only seat and a one-time code
    contract = builders.contract(builders.organization(unique), max_learners=1, price=PRICE)
    product = builders.product(contract)
    code = builders.code(product, amount=PRICE)
    order = complete(short_http, f"gone-{unique}", product.id, code).json()["order"]
    assert (
        complete(short_http, f"next-{unique}", product.id, builders.code(product, amount=PRICE)).status_code
        == 409
    )
    # When Stripe reports the session expired (signed)
    payload = session_event(
        "checkout.session.expired",
        {"id": f"cs_{unique}", "metadata": {"order_id": order["order_id"]}, "payment_intent": None},
    )
    answer = short_http.post(
        "/v1/hooks/stripe",
        content=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature_header(payload)},
    )
    # Then the order is cancelled, the code is no longer reserved and the seat is free for the next learner
    assert answer.status_code == 200, answer.text
    assert (
        short_http.get(f"/v1/orders/{order['order_id']}", headers=storefront()).json()["state"] == "cancelled"
    )
    assert EnrollmentCodeItem.get(keys.code_pk(code), keys.CODE_SK).reserved_by is None
    counter = memberships.read_seats(contract.id)
    assert counter is not None
    assert counter.held(utcnow()) == 0
    retry = complete(short_http, f"next-{unique}", product.id, builders.code(product, amount=PRICE))
    assert retry.status_code == 200, retry.text


def test_payments_racing_expiry_and_competing_checkouts_never_exceed_the_cap(short_http, unique):
    # Given eight contracts capped at one seat, each held by learner A's pending order
    rounds = 8
    contracts, products, held = [], [], []
    for r in range(rounds):
        contract = builders.contract(builders.organization(f"{unique}{r}"), max_learners=1, price=PRICE)
        product = builders.product(contract)
        contracts.append(contract)
        products.append(product)
    for r in range(rounds):
        answer = complete(
            short_http, f"a-{unique}-{r}", products[r].id, builders.code(products[r], amount=PRICE)
        )
        assert answer.status_code == 200, answer.text
        held.append(answer.json()["order"])
    spare = [builders.code(products[r], amount=PRICE) for r in range(rounds)]
    admin = learner_headers(f"admin-{unique}", **{"cognito:groups": ["admin"]})
    # When, around the moment each hold ends, A's payment, B's checkout and an admin attach race

    def race(r: int) -> list[Any]:
        # Each round starts near its own hold's end, from 0.6 s before to 1.5 s after it.
        end = datetime.fromisoformat(held[r]["hold_expires_at"])
        time.sleep(max(0.0, (end - utcnow()).total_seconds() - 0.6 + 0.3 * r))
        with ThreadPoolExecutor(max_workers=3) as pool:
            paid = pool.submit(pay, short_http, held[r]["order_id"], f"pi-{unique}-{r}")
            rival = pool.submit(complete, short_http, f"b-{unique}-{r}", products[r].id, spare[r])
            attach = pool.submit(
                short_http.put, f"/v1/contracts/{contracts[r].id}/learners/c-{unique}-{r}", headers=admin
            )
            return [paid.result(), rival.result(), attach.result()]

    with ThreadPoolExecutor(max_workers=rounds) as pool:
        outcomes = list(pool.map(race, range(rounds)))
    # Then no contract is over its cap, counting seats taken and holds still live
    states = []
    for r, (paid, rival, attach) in enumerate(outcomes):
        assert paid.status_code == 200, paid.text
        assert rival.status_code in {200, 409}, rival.text
        assert attach.status_code in {201, 409}, attach.text
        counter = memberships.read_seats(contracts[r].id)
        assert counter is not None
        learners = memberships.list_learners(contracts[r].id, 10, None).items
        assert len(learners) == counter.taken <= 1
        assert counter.taken + counter.held(utcnow()) <= 1
        # And A's paid order ended fulfilled, or unfulfillable with a refund due
        state = paid.json()["state"]
        states.append(state)
        assert state in {"fulfilled", "paid_unfulfillable"}
        assert paid.json()["refund_due"] is (state == "paid_unfulfillable")
        if state == "fulfilled":
            assert [m.user_id for m in learners] == [f"a-{unique}-{r}"]
    assert states  # one outcome per round
