"""Cloning contract runs in Studio, against a fake Open edX over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from b2b.db import catalog as catalog_repo
from b2b.domain.courseware import CloneStatus
from b2b.domain.model import MembershipType
from b2b.openedx import OpenEdxClient, OpenEdxConfig, StudioUnavailable
from b2b.queues import CloneRunRequest
from b2b.services import contracts, courseware, organizations
from b2b.services.cloning import CloneInProgress, clone_contract_run
from b2b.settings import get_settings

from tests.courseware_helpers import source_course
from tests.factories import generate_context
from tests.fake_openedx import CLIENT_ID, CLIENT_SECRET, FakeOpenEdx, fake_openedx


@pytest.fixture
def studio() -> Iterator[FakeOpenEdx]:
    with fake_openedx() as fake:
        yield fake


@pytest.fixture
def clone_queue(resources) -> str:
    """A queue of the test's own (the local stack's poller, if running, does not read it)."""
    sqs = boto3.client("sqs", endpoint_url=resources.endpoint_url, region_name="us-east-1")
    return sqs.create_queue(QueueName=f"clone-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]


@pytest.fixture
def openedx_settings(studio, clone_queue) -> Iterator[None]:
    """Open edX configured through the environment, as the template configures the functions."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENEDX_STUDIO_URL", studio.url)
        patch.setenv("OPENEDX_LMS_URL", studio.url)
        patch.setenv("OPENEDX_CLIENT_ID", CLIENT_ID)
        patch.setenv("OPENEDX_CLIENT_SECRET", CLIENT_SECRET)
        patch.setenv("OPENEDX_TIMEOUT_SECONDS", "0.3")
        patch.setenv("CLONE_QUEUE_URL", clone_queue)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def client_for(studio: FakeOpenEdx) -> OpenEdxClient:
    config = OpenEdxConfig(
        studio_url=studio.url,
        lms_url=studio.url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        timeout_seconds=0.3,
        attempts=3,
        backoff_seconds=0.01,
    )
    return OpenEdxClient(config)


def queued_requests(resources, queue_url: str) -> list[CloneRunRequest]:
    sqs = boto3.client("sqs", endpoint_url=resources.endpoint_url, region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [CloneRunRequest.model_validate_json(m["Body"]) for m in messages]


def attach_pending_run(unique: str, resources, clone_queue: str) -> CloneRunRequest:
    org = organizations.register_organization(name=f"Clones {unique}")
    contract = contracts.create_contract(
        organization_id=org.id, name="Clones", membership_type=MembershipType.AUTO
    )
    course_id = source_course(unique)
    [run] = courseware.attach_courseware(contract.id, course_id).created_runs
    assert run.clone_status is CloneStatus.PENDING
    [request] = queued_requests(resources, clone_queue)
    assert request.run_id == run.id
    return request


def test_a_new_contract_run_is_queued_and_cloned(unique, resources, clone_queue, openedx_settings, studio):
    # Given a contract run created while Open edX is configured (the API only queued it)
    request = attach_pending_run(unique, resources, clone_queue)
    assert studio.clone_calls == []
    # When the cloner handles the request
    result = clone_contract_run(request, client_for(studio))
    # Then Studio was asked once to copy the SOURCE run into the contract run
    assert result == "cloned"
    source = catalog_repo.get_run(request.run_id).source_run_id
    assert studio.clone_calls == [{"source_course_id": source, "destination_course_id": request.run_id}]
    assert catalog_repo.get_run(request.run_id).clone_status is CloneStatus.CLONED
    assert studio.token_calls == 1


def test_a_server_error_is_retried(unique, resources, clone_queue, openedx_settings, studio):
    request = attach_pending_run(unique, resources, clone_queue)
    studio.script = ["500"]
    assert clone_contract_run(request, client_for(studio)) == "cloned"
    assert len(studio.clone_calls) == 2
    assert catalog_repo.get_run(request.run_id).clone_status is CloneStatus.CLONED


def test_a_timeout_is_retried_and_an_existing_destination_is_success(
    unique, resources, clone_queue, openedx_settings, studio
):
    # Given a Studio that answers the first clone too late (but performs it)
    request = attach_pending_run(unique, resources, clone_queue)
    studio.script = ["timeout"]
    studio.slow_seconds = 0.5
    # When the cloner handles the request
    result = clone_contract_run(request, client_for(studio))
    # Then the retry is told the run exists, which counts as cloned
    assert result == "cloned"
    assert len(studio.clone_calls) >= 2
    assert catalog_repo.get_run(request.run_id).clone_status is CloneStatus.CLONED


def test_a_permanent_refusal_is_recorded_as_failed(unique, resources, clone_queue, openedx_settings, studio):
    request = attach_pending_run(unique, resources, clone_queue)
    studio.script = ["400"]
    assert clone_contract_run(request, client_for(studio)) == "failed"
    run = catalog_repo.get_run(request.run_id)
    assert run.clone_status is CloneStatus.FAILED
    assert run.clone_error is not None
    assert "400" in run.clone_error
    assert "Course does not exist" in run.clone_error
    assert len(studio.clone_calls) == 1  # a 4xx is not retried
    # And a later delivery leaves it alone
    assert clone_contract_run(request, client_for(studio)) == "already_done"
    assert len(studio.clone_calls) == 1


def test_studio_down_puts_the_run_back_to_pending(unique, resources, clone_queue, openedx_settings, studio):
    request = attach_pending_run(unique, resources, clone_queue)
    studio.script = ["500", "500", "500"]
    with pytest.raises(StudioUnavailable):
        clone_contract_run(request, client_for(studio))
    run = catalog_repo.get_run(request.run_id)
    assert run.clone_status is CloneStatus.PENDING
    assert "500" in (run.clone_error or "")
    # The queue's retry then succeeds
    assert clone_contract_run(request, client_for(studio)) == "cloned"


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:clone",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def test_duplicate_deliveries_clone_once(unique, resources, clone_queue, openedx_settings, studio):
    from courseware_cloner import handler

    # Given one clone request delivered twice in a batch, and once more later
    request = attach_pending_run(unique, resources, clone_queue)
    body = request.model_dump_json()
    handler.studio_client.cache_clear()
    try:
        first = handler.lambda_handler(sqs_event(body, body), generate_context())
        second = handler.lambda_handler(sqs_event(body), generate_context())
    finally:
        handler.studio_client.cache_clear()
    # Then Studio saw exactly one clone call and no record failed
    assert len(studio.clone_calls) == 1
    assert first["batchItemFailures"] == []
    assert second["batchItemFailures"] == []
    assert catalog_repo.get_run(request.run_id).clone_status is CloneStatus.CLONED


def test_overlapping_deliveries_clone_once(unique, resources, clone_queue, openedx_settings, studio):
    # Given a slow Studio and two deliveries of one request at the same time
    request = attach_pending_run(unique, resources, clone_queue)
    studio.delay_seconds = 0.2
    client = client_for(studio)

    def deliver(_: int) -> str:
        try:
            return clone_contract_run(request, client)
        except CloneInProgress:
            return "in_progress"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(deliver, range(2)))
    # Then one delivery cloned, the other backed off for a retry, and Studio was called once
    assert results == ["cloned", "in_progress"]
    assert len(studio.clone_calls) == 1


def test_a_bad_message_fails_only_its_record(openedx_settings):
    from courseware_cloner import handler

    handler.studio_client.cache_clear()
    try:
        bad = json.dumps({"run_id": ""})
        unknown = CloneRunRequest(run_id="course-v1:NO+SUCH+RUN", contract_id=1).model_dump_json()
        response = handler.lambda_handler(sqs_event(bad, unknown), generate_context())
    finally:
        handler.studio_client.cache_clear()
    assert len(response["batchItemFailures"]) == 1


def test_the_token_is_reused_and_renewed_when_refused(studio):
    # Given one client making several clone calls
    client = client_for(studio)
    assert client.clone_course_run("course-v1:A+B+SOURCE", "course-v1:X+B+2026_C1") == "cloned"
    assert client.clone_course_run("course-v1:A+B+SOURCE", "course-v1:X+B+2026_C2") == "cloned"
    # Then one token served both
    assert studio.token_calls == 1
    # And when Studio refuses the token, a fresh one is fetched once and the call goes through
    studio.script = ["401"]
    assert client.clone_course_run("course-v1:A+B+SOURCE", "course-v1:X+B+2026_C3") == "cloned"
    assert studio.token_calls == 2
    # And the destination existing already counts as success
    assert client.clone_course_run("course-v1:A+B+SOURCE", "course-v1:X+B+2026_C1") == "already_exists"


def test_wrong_credentials_are_retried_later_not_failed(studio):
    config = OpenEdxConfig(
        studio_url=studio.url, lms_url=studio.url, client_id=CLIENT_ID, client_secret="wrong", attempts=1
    )
    with pytest.raises(StudioUnavailable) as unavailable:
        OpenEdxClient(config).clone_course_run("course-v1:A+B+SOURCE", "course-v1:X+B+2026_C9")
    assert "token request refused" in unavailable.value.reason
    assert studio.clone_calls == []
