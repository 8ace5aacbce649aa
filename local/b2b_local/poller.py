"""Feeds SQS messages to the queue-driven functions in Lambda's SQS event shape."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3

from b2b_local.invoker import Invoker
from b2b_local.resources import LocalResources
from b2b_local.template import FunctionSpec, QueueSubscription


class PollerThreads:
    """What both pollers share: one thread per subscription, stopped together, and clients of the
    local moto server."""

    def __init__(self, resources: LocalResources) -> None:
        self._resources = resources
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _client_options(self) -> dict[str, Any]:
        """Where boto3 clients of the local moto server connect, and as whom."""
        return {
            "endpoint_url": self._resources.endpoint_url,
            "region_name": self._resources.region,
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        }

    def _spawn(self, target: Any, args: tuple[Any, ...], name: str) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping passes for a batch of received messages."""
    records = []
    for message in messages:
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    key: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for key, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


class QueuePoller(PollerThreads):
    """One thread per subscription: receive a batch, invoke, delete what succeeded.

    Failed messages are made visible again after ``retry_delay`` seconds (not the queue's full
    visibility timeout) so local retries and dead-lettering happen in seconds.
    """

    def __init__(
        self,
        subscriptions: list[QueueSubscription],
        functions: dict[str, FunctionSpec],
        resources: LocalResources,
        invoker: Invoker,
        retry_delay: int = 1,
    ) -> None:
        super().__init__(resources)
        self._subscriptions = subscriptions
        self._functions = functions
        self._invoker = invoker
        self._retry_delay = retry_delay
        self._sqs = boto3.client("sqs", **self._client_options())
        self.busy = 0

    def start(self) -> None:
        for subscription in self._subscriptions:
            self._spawn(self._run, (subscription,), subscription.queue)

    def _run(self, subscription: QueueSubscription) -> None:
        url = self._resources.queue_urls[subscription.queue]
        arn = self._resources.queue_arns[subscription.queue]
        spec = self._functions[subscription.function]
        while not self._stop.is_set():
            try:
                received = self._sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(subscription.batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:  # the moto server is stopping
                if self._stop.wait(0.5):
                    return
                continue
            if not received:
                continue
            batch: list[dict[str, Any]] = [dict(m) for m in received]
            with self._lock:
                self.busy += 1
            try:
                self._deliver(subscription, spec, url, arn, batch)
            finally:
                with self._lock:
                    self.busy -= 1

    def _deliver(
        self,
        subscription: QueueSubscription,
        spec: FunctionSpec,
        url: str,
        arn: str,
        batch: list[dict[str, Any]],
    ) -> None:
        failed: set[str] = set()
        try:
            result = self._invoker.invoke(
                spec.name, spec.handler, spec.timeout, sqs_event(batch, arn, self._resources.region)
            )
            if subscription.report_failures and isinstance(result, dict):
                failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in batch}
        for message in batch:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self._retry_delay
                )
            else:
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until every subscribed queue is empty and nothing is being delivered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.busy == 0 and all(self._queue_empty(s.queue) for s in self._subscriptions):
                return True
            time.sleep(0.2)
        return False

    def _queue_empty(self, logical: str) -> bool:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._resources.queue_urls[logical],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            attributes["ApproximateNumberOfMessages"] == "0"
            and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        )
