"""Codes on the local stack: a contract change reconciled through the FIFO queue by the reconciler
function, codes listed and exported over HTTP, and a poison message dead-lettered on its own."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid

import boto3

from tests.codes_support import add_products


def _sqs(resources):
    return boto3.client(
        "sqs",
        endpoint_url=resources.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _contract(admin_http, unique, **fields):
    org = admin_http.post("/v1/organizations", json={"name": f"Codes E2E {unique}"}).json()
    body = {"organization_id": org["id"], "name": "Codes", "membership_type": "code"} | fields
    created = admin_http.post("/v1/contracts", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def test_a_change_is_reconciled_through_the_queue(stack, admin_http, unique):
    # Given a capped code contract with two products
    contract = _contract(admin_http, unique, max_learners=3, price="4.00")
    products = add_products(_as_domain(contract), 2)

    # When the cap changes over the API (which queues a reconciliation) and the queue drains
    patched = admin_http.patch(f"/v1/contracts/{contract['id']}", json={"max_learners": 4})
    assert patched.status_code == 200
    assert stack.poller.wait_idle(60)

    # Then the reconciler made 4 codes per product, visible in the listing, the export and the stats
    listed = admin_http.get(f"/v1/contracts/{contract['id']}/codes", params={"limit": 100}).json()
    assert len(listed["items"]) == 8
    exported = admin_http.get(f"/v1/contracts/{contract['id']}/codes.csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert len(rows) == 9
    stats = admin_http.get(f"/v1/contracts/{contract['id']}/stats").json()
    assert stats["codes"]["available"] == 8
    assert {p["product_id"] for p in stats["products"]} == {p.id for p in products}


def test_a_poison_message_ends_in_the_dead_letter_queue(stack, resources, admin_http, unique):
    # Given a poison message in one group and a good one in another
    contract = _contract(admin_http, unique, max_learners=2)
    add_products(_as_domain(contract), 1)
    sqs = _sqs(resources)
    queue = resources.queue_urls["ReconcileQueue"]
    dlq = resources.queue_urls["ReconcileDeadLetterQueue"]
    poison_id = uuid.uuid4().hex
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps({"contract_id": "not-a-number", "reason": "manual", "change_id": poison_id}),
        MessageGroupId=f"poison-{unique}",
        MessageDeduplicationId=poison_id,
    )
    good = {"contract_id": contract["id"], "reason": "manual", "change_id": uuid.uuid4().hex}
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(good),
        MessageGroupId=str(contract["id"]),
        MessageDeduplicationId=good["change_id"],
    )

    # When the poller retries the failure until the queue gives up on it
    dead = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not dead:
        received = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        dead = [m for m in received.get("Messages", []) if poison_id in m["Body"]]

    # Then the poison message is in the dead-letter queue and the good one was applied
    assert dead, "the poison message never reached the dead-letter queue"
    assert stack.poller.wait_idle(60)
    codes = admin_http.get(f"/v1/contracts/{contract['id']}/codes").json()["items"]
    assert len(codes) == 2


def _as_domain(contract_json):
    from b2b.db.contracts import get_contract

    assert contract_json["id"]
    return get_contract(contract_json["id"])
