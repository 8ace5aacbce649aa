"""Every business event emits its CloudWatch metric (Powertools EMF lines, captured from stdout)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from b2b.domain.model import MembershipType
from b2b.queues import ReconcileRequest
from checkout_api.handler import lambda_handler as checkout_handler
from code_reconciler.handler import lambda_handler as reconciler_handler
from sso_trigger import handler as sso_handler

from tests import builders
from tests.codes_support import add_products, make_contract
from tests.factories import call, generate_api_gw_event, generate_context, learner_claims
from tests.integration.test_sso_trigger import FailingDynamoDB
from tests.sso_support import cognito_event, contract, sso_organization


def emitted(output: str) -> dict[str, float]:
    """Metric name → summed value of the EMF documents printed in ``output``."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(
                    values if isinstance(values, list) else [values]
                )
    return totals


def sqs_event(body: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "r-1",
                "body": body,
                "attributes": {"SentTimestamp": str(int(time.time() * 1000) - 1500)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:reconcile.fifo",
                "awsRegion": "us-east-1",
            }
        ]
    }


def complete(sub: str, body: dict[str, Any]) -> Any:
    return call(
        checkout_handler,
        generate_api_gw_event("POST", "/v1/checkout/complete", body, claims=learner_claims(sub)),
    )


def test_reconciling_emits_codes_generated_and_lag(unique, capsys):
    contract_ = make_contract(unique, MembershipType.CODE, max_learners=3)
    add_products(contract_, 2)
    request = ReconcileRequest(contract_id=contract_.id, reason="manual")
    context = generate_context()
    context.get_remaining_time_in_millis = lambda: 90_000  # a reconciler invocation's time limit
    response = reconciler_handler(sqs_event(request.model_dump_json()), context)
    assert response["batchItemFailures"] == []
    metrics = emitted(capsys.readouterr().out)
    assert metrics["CodesGenerated"] == 6
    assert metrics["ReconcileLagSeconds"] >= 1.0


def test_checkout_emits_redemptions_seats_and_failures_by_reason(unique, capsys):
    capped = builders.contract(builders.organization(unique), max_learners=1)
    product = builders.product(capped)
    assert (
        complete(f"first-{unique}", {"product_ids": [product.id], "code": builders.code(product)}).status
        == 200
    )
    full = complete(f"second-{unique}", {"product_ids": [product.id], "code": builders.code(product)})
    assert full.body["error"]["code"] == "contract_full"
    wrong = complete(f"third-{unique}", {"product_ids": [product.id], "code": "0000-0000-0000-0000"})
    assert wrong.status == 404
    metrics = emitted(capsys.readouterr().out)
    assert metrics["CodesRedeemed"] == 1
    assert metrics["SeatsTaken"] == 1
    # The third learner's line is refused for both reasons: a wrong code, and no seat left.
    assert metrics["CheckoutRejected_contract_full"] == 2
    assert metrics["CheckoutRejected_code_invalid"] == 1


def test_sso_login_emits_attaches_full_contracts_and_fallbacks(unique, capsys):
    org = sso_organization(unique)
    contract(org, "Open")
    contract(org, "Full", max_learners=1)
    sso_handler.lambda_handler(
        cognito_event("PostAuthentication_Authentication", f"a-{unique}", org.sso_organization_id),
        generate_context(),
    )
    sso_handler.lambda_handler(
        cognito_event("PostAuthentication_Authentication", f"b-{unique}", org.sso_organization_id),
        generate_context(),
    )
    with FailingDynamoDB():
        sso_handler.lambda_handler(
            cognito_event("PostAuthentication_Authentication", f"c-{unique}", org.sso_organization_id),
            generate_context(),
        )
    metrics = emitted(capsys.readouterr().out)
    assert metrics["SsoAttached"] == 3  # a: both contracts; b: the open one
    assert metrics["SsoContractFull"] == 1
    assert metrics["SsoHandedOff"] == 1  # only the failing login fell back to the queue
    assert metrics["SsoDefaultEnrollmentsQueued"] == 2


@pytest.mark.parametrize(
    "name", ["CodesGenerated", "CodesRedeemed", "SsoAttached", "SsoHandedOff", "ReconcileLagSeconds"]
)
def test_the_dashboard_shows_each_business_metric(name):
    from b2b_local.template import read_template

    body = json.dumps(read_template().raw["Resources"]["Dashboard"]["Properties"]["DashboardBody"])
    assert name in body
