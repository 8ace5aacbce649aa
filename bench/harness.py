"""What every benchmark module shares: a result row, a request counter, a moto server with the template's resources."""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    """One measured figure. ``target`` is the goal as text; ``ok`` says whether it was met (None: no target)."""

    section: str
    metric: str
    value: str
    target: str = ""
    ok: bool | None = None
    note: str = ""
    # Machine-readable copy for docs/benchmarks.json (read by bench/cost_model.py): a stable key and a number.
    key: str = ""
    number: float | None = None


@dataclass
class BenchEnvironment:
    moto_url: str
    resources: Any
    template: Any


_ENVIRONMENT: BenchEnvironment | None = None


def start_environment() -> BenchEnvironment:
    """Start one moto server with the template's table and queues and point the shared package at it."""
    global _ENVIRONMENT  # noqa: PLW0603 - one server for the whole benchmark run
    if _ENVIRONMENT is not None:
        return _ENVIRONMENT
    from b2b_local import moto_isolation
    from b2b_local.resources import create_resources, shared_environment
    from b2b_local.stack import free_port
    from b2b_local.template import read_template
    from moto.server import ThreadedMotoServer

    moto_isolation.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    template = read_template()
    url = f"http://127.0.0.1:{port}"
    resources = create_resources(template, url, "us-east-1", "b2b-bench")
    os.environ.update(shared_environment(template, resources))
    _ENVIRONMENT = BenchEnvironment(moto_url=url, resources=resources, template=template)
    return _ENVIRONMENT


_SINGLE_ITEM = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}
_READS = {"GetItem", "BatchGetItem", "Query", "TransactGetItems"}


class RequestCounter:
    """Counts DynamoDB API calls on the shared PynamoDB client (botocore ``before-call`` hooks), and
    the items each names (keys of a batch read, operations of a transaction), for the cost model."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.items_read = 0
        self.items_written = 0
        self.transactional_items = 0

    def __call__(self, event_name: str, params: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.calls.append(operation)
        body = _request_body(params)
        if operation in _SINGLE_ITEM:
            count = 1
        elif operation == "BatchGetItem":
            count = sum(len(v.get("Keys", [])) for v in body.get("RequestItems", {}).values())
        elif operation == "BatchWriteItem":
            count = sum(len(v) for v in body.get("RequestItems", {}).values())
        elif operation == "TransactWriteItems":
            count = len(body.get("TransactItems", []))
            self.transactional_items += count
        else:
            count = 0
        if operation in _READS:
            self.items_read += count
        else:
            self.items_written += count


def _request_body(params: Any) -> dict[str, Any]:
    import json

    raw = (params or {}).get("body") if isinstance(params, dict) else None
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@contextmanager
def count_requests() -> Iterator[RequestCounter]:
    from b2b.db.table import dynamodb_client

    counter = RequestCounter()
    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", counter)
    try:
        yield counter
    finally:
        events.unregister("before-call.dynamodb", counter)


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)
