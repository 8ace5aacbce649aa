"""Keeping the local stack's data between runs (`make run ARGS=--data .local/`).

moto keeps everything in memory. With a data directory the stack writes the items of every table
(DynamoDB's own JSON, one item a line) and the messages still waiting in its queues, and loads them
into the fresh moto server at the next start, before the API answers:

    DIR/tables/<LogicalId>.jsonl   items, as Scan returns them
    DIR/queues/<LogicalId>.jsonl   messages not yet handled when the stack stopped

Tables are saved at a clean stop and, while the stack runs, every ``interval`` seconds when
something was written since the last save (so a killed stack loses at most that much). Queues are
saved at a clean stop only: a message being handled at that moment is not kept, and
``b2b codes health`` / ``POST /v1/contracts/{id}/reconcile`` bring its contract's codes back in line.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from b2b_local.resources import LocalResources

BATCH = 25  # BatchWriteItem's limit


@dataclass(frozen=True)
class Restored:
    items: int
    messages: int


def _write_lines(path: Path, lines: Iterator[str]) -> int:
    """Write ``lines`` to a file next to ``path`` and rename it, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    count = 0
    with partial.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
            count += 1
    partial.replace(path)
    return count


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class LocalData:
    """Saves and restores the tables and queues of one local stack in ``directory``."""

    def __init__(self, directory: Path, resources: LocalResources) -> None:
        self.directory = directory
        self._resources = resources
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=resources.region
        )
        self._dynamodb = session.client("dynamodb", endpoint_url=resources.endpoint_url)
        self._sqs = session.client("sqs", endpoint_url=resources.endpoint_url)
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _table_file(self, logical: str) -> Path:
        return self.directory / "tables" / f"{logical}.jsonl"

    def _queue_file(self, logical: str) -> Path:
        return self.directory / "queues" / f"{logical}.jsonl"

    def restore(self) -> Restored:
        """Load what an earlier run saved into the (empty) tables and queues."""
        items = 0
        for logical, table in self._resources.tables.items():
            batch: list[dict[str, Any]] = []
            for item in _read_lines(self._table_file(logical)):
                batch.append({"PutRequest": {"Item": item}})
                if len(batch) == BATCH:
                    items += self._put(table, batch)
                    batch = []
            if batch:
                items += self._put(table, batch)
        messages = 0
        for logical, url in self._resources.queue_urls.items():
            for message in _read_lines(self._queue_file(logical)):
                self._sqs.send_message(QueueUrl=url, **message)
                messages += 1
            self._queue_file(logical).unlink(missing_ok=True)  # sent once, never twice
        return Restored(items=items, messages=messages)

    def _put(self, table: str, batch: list[dict[str, Any]]) -> int:
        pending: Any = {table: batch}
        while pending:
            pending = self._dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return len(batch)

    def _scan(self, table: str) -> Iterator[str]:
        for page in self._dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                yield json.dumps(item, separators=(",", ":"), sort_keys=True)

    def save_tables(self) -> int:
        """Write every table's items; returns how many were written."""
        with self._save_lock:
            return sum(
                _write_lines(self._table_file(logical), self._scan(table))
                for logical, table in self._resources.tables.items()
            )

    def save_queues(self) -> int:
        """Take the messages still waiting in every queue (call once the poller has stopped)."""
        saved = 0
        for logical, url in self._resources.queue_urls.items():
            saved += _write_lines(self._queue_file(logical), self._drain(url))
        return saved

    def _drain(self, url: str) -> Iterator[str]:
        while True:
            received = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=300,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                return
            for message in received:
                yield json.dumps(_resend_arguments(dict(message)), separators=(",", ":"))

    def start_autosave(self, writes: Callable[[], int], interval: float = 30.0) -> None:
        """Save the tables every ``interval`` seconds when ``writes()`` (a write counter) has moved."""

        def loop() -> None:
            saved_at = writes()
            while not self._stop.wait(interval):
                now = writes()
                if now != saved_at:
                    self.save_tables()
                    saved_at = now

        self._thread = threading.Thread(target=loop, daemon=True, name="local-data-autosave")
        self._thread.start()

    def stop_autosave(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)


def _resend_arguments(message: dict[str, Any]) -> dict[str, Any]:
    """The SendMessage arguments that put ``message`` back into its queue."""
    arguments: dict[str, Any] = {"MessageBody": message["Body"]}
    attributes = message.get("Attributes", {})
    if "MessageGroupId" in attributes:
        arguments["MessageGroupId"] = attributes["MessageGroupId"]
        # A fresh id: the restored message must not be dropped as a duplicate of its earlier self.
        arguments["MessageDeduplicationId"] = message["MessageId"]
    if message.get("MessageAttributes"):
        arguments["MessageAttributes"] = {
            key: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
            for key, value in message["MessageAttributes"].items()
            if "StringValue" in value  # the stack's messages carry text attributes only
        }
    return arguments


def data_directory(value: str) -> Path:
    """The data directory the operator named, created when missing."""
    path = Path(os.path.expanduser(value)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
