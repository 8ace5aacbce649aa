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
