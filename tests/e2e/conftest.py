"""End-to-end fixtures: the local stack (HTTP API + poller + worker processes) over the test moto server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from b2b_local.fake_lms import FakeLms, fake_lms
from b2b_local.stack import LocalStack
from b2b_local.tokens import mint_token

from tests.e2e.console_support import console_browser, console_page  # noqa: F401 - the console tests' fixtures
from tests.log_hygiene import codes_in_table, find_leaks


@pytest.fixture(scope="session")
def lms() -> Iterator[FakeLms]:
    """The fake Open edX LMS the stack's LMS sync worker talks to."""
    with fake_lms() as fake:
        yield fake


@pytest.fixture(scope="session")
def stack(resources: Any, lms: FakeLms, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The local stack on a free port, sharing the session's moto server and resources.

    Every function's log lines go to a file too; when the stack stops, that file must hold no
    bearer token, no email address and none of the codes in the table (the logs of a deployed
    stage are read by more people than the data is)."""
    log_file = tmp_path_factory.mktemp("function-logs") / "functions.log"
    local = LocalStack(
        api_port=0,
        external_moto_url=resources.endpoint_url,
        prefix="b2b-test",
        workers=4,
        log_file=str(log_file),
        extra_environment=lms.environment() | {"OPENEDX_TIMEOUT_SECONDS": "1"},
    )
    local.start()
    yield local
    local.stop()
    assert_logs_hold_no_secrets(log_file, resources)


def assert_logs_hold_no_secrets(log_file: Path, resources: Any) -> None:
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines() if log_file.exists() else []
    assert lines, "the functions wrote no log line: the log check would prove nothing"
    table = next(iter(resources.tables.values()))
    codes = codes_in_table(resources.endpoint_url, resources.region, table)
    leaks = find_leaks(lines, codes)
    assert not leaks, f"{len(leaks)} log lines leak secrets, first: {leaks[:5]}"


class BusEvents:
    """Every event put on the stack's bus, as a consumer gets it (a rule → an SQS queue, drained)."""

    def __init__(self, endpoint_url: str, bus_name: str) -> None:
        options = {"endpoint_url": endpoint_url, "region_name": "us-east-1"}
        self._sqs = boto3.client("sqs", **options)
        events = boto3.client("events", **options)
        self._queue_url = self._sqs.create_queue(QueueName="b2b-test-bus-capture")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(
            Name="b2b-test-capture",
            EventBusName=bus_name,
            EventPattern=json.dumps({"source": ["b2b.contracts"]}),
        )
        events.put_targets(
            Rule="b2b-test-capture", EventBusName=bus_name, Targets=[{"Id": "capture", "Arn": arn}]
        )
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True, name="bus-capture")
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                ).get("Messages", [])
            except Exception:
                if self._stop.wait(0.5):
                    return
                continue
            for message in messages:
                with self._lock:
                    self.received.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.received if predicate(e)]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1, timeout: float = 30
    ) -> list[dict[str, Any]]:
        """The matching events once at least ``count`` arrived (or what arrived by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.matching(predicate)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def bus_events(stack: LocalStack) -> Iterator[BusEvents]:
    assert stack.resources is not None
    capture = BusEvents(stack.moto_url, stack.resources.event_buses["EventBus"])
    yield capture
    capture.stop()


@pytest.fixture(scope="session")
def admin_http(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client carrying an admin dev token."""
    token = mint_token("e2e-admin", admin=True)
    with httpx.Client(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture(scope="session")
def http(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client without a token."""
    with httpx.Client(base_url=stack.api_url, timeout=60) as client:
        yield client


def learner_headers(sub: str, **extra: Any) -> dict[str, str]:
    """Authorization header for a learner dev token (``extra`` claims are added to it)."""
    return {"Authorization": f"Bearer {mint_token(sub, extra=extra or None)}"}
