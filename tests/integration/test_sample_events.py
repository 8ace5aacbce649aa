"""The sample events in events/ are accepted by their handlers."""

from __future__ import annotations

import json
from pathlib import Path

from admin_api.handler import lambda_handler

from tests.factories import generate_context

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_admin_create_contract_event_creates_a_contract():
    event = json.loads((EVENTS / "admin_api_create_contract.json").read_text())
    response = lambda_handler(event, generate_context())
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["membership_type"] == "code"


def test_orders_sample_events_are_understood():
    from orders_api.handler import lambda_handler as orders_handler

    # The schedule sweeps (nothing due in a fresh order book answers a count)
    swept = orders_handler(
        json.loads((EVENTS / "orders_sweep_schedule.json").read_text()), generate_context()
    )
    assert isinstance(swept["expired"], int)
    # The storefront's payment for an order that does not exist is a plain 404, not a crash
    response = orders_handler(json.loads((EVENTS / "orders_payment.json").read_text()), generate_context())
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "order_not_found"
