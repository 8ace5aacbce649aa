"""`b2b orders …` against the local stack over real HTTP, as an operator runs it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from b2b_cli.main import app
from b2b_local.tokens import mint_client_token, mint_token
from typer.testing import CliRunner

from tests import builders
from tests.e2e.conftest import learner_headers

pytestmark = pytest.mark.e2e


@pytest.fixture
def b2b(stack, tmp_path):
    env = {
        "B2B_API_URL": stack.api_url,
        "B2B_TOKEN": mint_token("e2e-operator", admin=True),
        "B2B_CONFIG": str(tmp_path / "no-config.toml"),
        "B2B_PROFILE": None,
    }

    def run(*args: str):
        return CliRunner().invoke(app, list(args), env=env)

    return run


def _json(result):
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_operator_lists_shows_and_refunds_orders(b2b, http, unique):
    # Given two learners' orders on a priced contract: one pending, one paid and fulfilled
    contract = builders.contract(builders.organization(unique), max_learners=5, price=Decimal("20"))
    product = builders.product(contract)
    orders = []
    for who in ("p", "f"):
        answer = http.post(
            "/v1/checkout/complete",
            json={"product_ids": [product.id], "code": builders.code(product, amount=Decimal("20"))},
            headers=learner_headers(f"{who}-{unique}"),
        )
        assert answer.status_code == 200, answer.text
        orders.append(answer.json()["order"]["order_id"])
    pending, paid = orders
    storefront = {"Authorization": f"Bearer {mint_client_token('cli-storefront')}"}
    confirmed = http.post(
        f"/v1/orders/{paid}/payment",
        json={"payment_reference": f"pi-{unique}", "amount": "20"},
        headers=storefront,
    )
    assert confirmed.json()["state"] == "fulfilled", confirmed.text
    # When the operator lists pending and fulfilled orders
    pending_ids = {o["order_id"] for o in _json(b2b("orders", "list", "--json"))}
    fulfilled_ids = {o["order_id"] for o in _json(b2b("orders", "list", "--state", "fulfilled", "--json"))}
    # Then each order is listed under its state only
    assert pending in pending_ids and paid not in pending_ids
    assert paid in fulfilled_ids and pending not in fulfilled_ids
    # When the operator shows and refunds the paid order
    assert _json(b2b("orders", "show", paid, "--json"))["payment_reference"] == f"pi-{unique}"
    refunded = _json(b2b("orders", "refund", paid, "--json"))
    # Then it is refunded and the learner's enrollment has ended
    assert refunded["state"] == "refunded"
    mine = http.get("/v1/me/enrollments", headers=learner_headers(f"f-{unique}")).json()["items"]
    assert [e["status"] for e in mine] == ["unenrolled"]
    # And refunding a pending order is refused with the API's reason (exit code 1)
    refused = b2b("orders", "refund", pending)
    assert refused.exit_code == 1
    assert "order_not_refundable" in refused.stderr + refused.stdout
    # And a table is printed without --json
    assert "Orders fulfilled" in b2b("orders", "list", "--state", "fulfilled").stdout
