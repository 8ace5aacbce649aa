"""The event publisher's handler over moto: stream records in Lambda's shape → events on the bus and
LMS sync messages; a failed publish reports the first record to retry from."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from b2b import eventbus
from b2b.settings import get_settings
from event_publisher.handler import lambda_handler

from tests.event_schemas import validate
from tests.factories import generate_context

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample() -> dict:
    return json.loads((EVENTS / "event_publisher_stream.json").read_text())


@pytest.fixture
def capture(resources, unique):
    """An SQS queue receiving everything on the bus (a rule, as a consumer would subscribe)."""
    options = {"endpoint_url": resources.endpoint_url, "region_name": "us-east-1"}
    sqs, events = boto3.client("sqs", **options), boto3.client("events", **options)
    url = sqs.create_queue(QueueName=f"capture-{unique}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = get_settings().event_bus_name
    events.put_rule(
        Name=f"capture-{unique}", EventBusName=bus, EventPattern=json.dumps({"source": ["b2b.contracts"]})
    )
    events.put_targets(Rule=f"capture-{unique}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    yield received
    events.remove_targets(Rule=f"capture-{unique}", EventBusName=bus, Ids=["q"])
    events.delete_rule(Name=f"capture-{unique}", EventBusName=bus)


def lms_queue_messages(resources) -> list[dict]:
    sqs = boto3.client("sqs", endpoint_url=resources.endpoint_url, region_name="us-east-1")
    url = resources.queue_urls["LmsSyncQueue"]
    found = []
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_the_sample_stream_batch_becomes_events_and_one_lms_sync(resources, capture):
    # Given the sample batch: an enrollment created and a membership removed
    # When the publisher handles it
    result = lambda_handler(sample(), generate_context())
    # Then nothing is reported failed
    assert result == {"batchItemFailures": []}
    # And the bus carried an enrollment created and a learner detached, both valid
    received = capture()
    assert sorted(e["detail-type"] for e in received) == [
        "b2b.enrollment.created.v1",
        "b2b.learner.detached.v1",
    ]
    for event in received:
        validate(event)
    (detached,) = [e for e in received if e["detail-type"] == "b2b.learner.detached.v1"]
    assert (detached["detail"]["user_id"], detached["detail"]["source"]) == ("learner-2", "sso")
    # And the LMS sync queue got exactly the enrollment
    syncs = [
        m for m in lms_queue_messages(resources) if m.get("change_id") == "c4ca4238a0b923820dcc509a6f75849b"
    ]
    assert [(m["user_id"], m["run_id"]) for m in syncs] == [
        ("learner-1", "course-v1:UAI_ACME+14.100x+2026_C12")
    ]


def test_a_failed_put_reports_the_record_to_retry_from(monkeypatch):
    # Given a bus that accepts the first event and refuses the second
    def refuse_second(events):
        raise eventbus.EventsNotPublished(1, "ThrottlingException")

    monkeypatch.setattr(eventbus, "publish", refuse_second)
    # When the publisher handles the sample batch
    result = lambda_handler(sample(), generate_context())
    # Then it names the second record, so Lambda retries from it and keeps the shard's order
    assert result == {"batchItemFailures": [{"itemIdentifier": "1100000000017454423010"}]}
