"""Feeds the table's stream to the stream-triggered functions in Lambda's DynamoDB stream event shape.

Like Lambda's event source mapping: records of the shard in order, filtered by the function's
filter criteria (records that match none are dropped, as Lambda drops them), in batches; when the
function reports a failed record, the batch is retried from that record after ``retry_delay``
seconds, so nothing after it is published before it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import boto3

from b2b_local.filters import passes
from b2b_local.invoker import Invoker
from b2b_local.poller import PollerThreads
from b2b_local.resources import LocalResources
from b2b_local.template import FunctionSpec, StreamSubscription

# Seconds without a record after which the pollers slow down.
QUIET_SECONDS = 30.0


def _json_safe(record: dict[str, Any]) -> dict[str, Any]:
    """The record as Lambda delivers it: the creation time in epoch seconds."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": stream}


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The event Lambda passes for a batch of stream records."""
    return {"Records": [{**_json_safe(r), "eventSourceARN": stream_arn} for r in records]}


class StreamPoller(PollerThreads):
    """One thread per stream subscription, reading from the stream's end as of start."""

    def __init__(
        self,
        subscriptions: list[StreamSubscription],
        functions: dict[str, FunctionSpec],
        resources: LocalResources,
        invoker: Invoker,
        *,
        retry_delay: float = 1.0,
        poll_interval: float = 0.1,
        idle_poll_interval: float = 0.5,
    ) -> None:
        super().__init__(resources)
        self._subscriptions = subscriptions
        self._functions = functions
        self._invoker = invoker
        self._retry_delay = retry_delay
        self._poll_interval = poll_interval
        # After a quiet spell the pollers slow down: every GetRecords makes moto keep one more
        # shard iterator for good, and `make run` may stay up for hours.
        self._idle_poll_interval = idle_poll_interval
        self._streams = boto3.client("dynamodbstreams", **self._client_options())
        # When each subscription last started a read that found nothing new (monotonic seconds).
        self._empty_read_at: dict[str, float] = {}

    def start(self) -> None:
        for subscription in self._subscriptions:
            iterator = self._iterator(subscription, "LATEST")
            self._empty_read_at[subscription.function] = 0.0
            self._spawn(self._run, (subscription, iterator), f"stream-{subscription.function}")

    def idle_since(self, moment: float) -> bool:
        """True when every subscription has delivered all the stream held at ``moment``."""
        with self._lock:
            return all(at > moment for at in self._empty_read_at.values())

    def _iterator(self, subscription: StreamSubscription, kind: str, sequence: str | None = None) -> str:
        arn = self._resources.stream_arns[subscription.table]
        shard = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        extra = {"SequenceNumber": sequence} if sequence else {}
        return str(
            self._streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **extra)[
                "ShardIterator"
            ]
        )

    def _run(self, subscription: StreamSubscription, iterator: str) -> None:
        spec = self._functions[subscription.function]
        arn = self._resources.stream_arns[subscription.table]
        last_record_at = time.monotonic()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                answer = self._streams.get_records(ShardIterator=iterator, Limit=subscription.batch_size)
            except Exception:  # the moto server is stopping
                if self._stop.wait(0.5):
                    return
                continue
            records = answer.get("Records", [])
            next_iterator = answer["NextShardIterator"]
            if not records:
                with self._lock:
                    self._empty_read_at[subscription.function] = started
                quiet = time.monotonic() - last_record_at > QUIET_SECONDS
                self._stop.wait(self._idle_poll_interval if quiet else self._poll_interval)
                iterator = next_iterator
                continue
            last_record_at = time.monotonic()
            batch = [r for r in records if passes(list(subscription.filters), r)]
            failed = self._deliver(subscription, spec, arn, batch) if batch else None
            if failed is None:
                iterator = next_iterator
            else:
                self._stop.wait(self._retry_delay)
                iterator = self._iterator(subscription, "AT_SEQUENCE_NUMBER", failed)

    def _deliver(
        self, subscription: StreamSubscription, spec: FunctionSpec, arn: str, batch: list[dict[str, Any]]
    ) -> str | None:
        """Invoke with ``batch``; the sequence number to retry from, or None when all went through."""
        try:
            result = self._invoker.invoke(spec.name, spec.handler, spec.timeout, stream_event(batch, arn))
        except Exception:
            return str(batch[0]["dynamodb"]["SequenceNumber"])
        if subscription.report_failures and isinstance(result, dict):
            failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            if failures:
                return str(min(failures, key=int))
        return None

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until everything written before the call has been delivered."""
        called = time.monotonic()
        deadline = called + timeout
        while time.monotonic() < deadline:
            if self.idle_since(called):
                return True
            time.sleep(0.1)
        return False
