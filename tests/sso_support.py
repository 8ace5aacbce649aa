"""Helpers for the SSO and default-enrollment tests: organizations with contracts, Cognito events,
contract runs written directly, and running the SSO attach worker over the queue."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from b2b.db.counters import next_id
from b2b.db.products import product_item
from b2b.domain.model import Contract, MembershipType, Organization, Product, utcnow
from b2b.services import contracts, organizations
from b2b_local.poller import sqs_event

from tests.factories import generate_context

EVENTS = Path(__file__).resolve().parents[1] / "events"


def sso_organization(unique: str) -> Organization:
    return organizations.register_organization(name=f"SSO Org {unique}", sso_organization_id=f"sso-{unique}")


def contract(
    org: Organization, name: str, membership: MembershipType = MembershipType.AUTO, **fields: Any
) -> Contract:
    return contracts.create_contract(organization_id=org.id, name=name, membership_type=membership, **fields)


def contract_run(
    contract_id: int, course_id: str, run_suffix: str, *, start_days: int = -10, end_days: int | None = 100
) -> Product:
    """A contract run's product, written directly (courseware is built elsewhere)."""
    now = utcnow()
    product = Product(
        id=next_id("product"),
        contract_id=contract_id,
        run_id=f"{course_id}+{run_suffix}",
        course_id=course_id,
        title=course_id,
        price=Decimal(0),
        active=True,
        created_at=now,
        run_start=now + timedelta(days=start_days),
        run_end=None if end_days is None else now + timedelta(days=end_days),
    )
    product_item(product).save()
    return product


def cognito_event(trigger: str, sub: str, sso_org_id: str | None) -> dict[str, Any]:
    """A Cognito trigger event built from the sample in events/."""
    name = (
        "cognito_post_confirmation.json"
        if trigger.startswith("PostConfirmation")
        else "cognito_post_authentication.json"
    )
    event = json.loads((EVENTS / name).read_text())
    event["triggerSource"] = trigger
    event["userName"] = sub
    attributes = {"sub": sub, "email": f"{sub}@example.com"}
    if sso_org_id is not None:
        attributes["custom:sso_org_id"] = sso_org_id
    event["request"]["userAttributes"] = attributes
    return event


def run_sso_worker(resources: Any, rounds: int = 5, max_batches: int | None = None) -> int:
    """Feed every message on the SSO attach queue to the worker, like the SQS event source; returns
    the number of messages processed successfully (failed ones go back on the queue). Stops after
    ``max_batches`` batches when given (each failed pass counts toward the queue's redrive limit)."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
    from sso_trigger import worker

    url = resources.queue_urls["SsoAttachQueue"]
    arn = resources.queue_arns["SsoAttachQueue"]
    sqs = boto3.client("sqs", endpoint_url=resources.endpoint_url, region_name="us-east-1")
    done = 0
    empty = 0
    batches = 0
    while empty < rounds and (max_batches is None or batches < max_batches):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            empty += 1
            continue
        batches += 1
        try:
            result = worker.lambda_handler(
                sqs_event([dict(m) for m in messages], arn, "us-east-1"), generate_context()
            )
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except BatchProcessingError:
            # Every record failed: Lambda sees a failed invocation and the whole batch comes back.
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
    return done


def eventually(check: Any, timeout: float = 20.0) -> bool:
    """Poll ``check()`` until it is true (the local stack's poller may be the one processing the queue)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())
