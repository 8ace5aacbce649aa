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
    from b2b_local.resources import create_resources, function_environment
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
    os.environ.update(function_environment(template, resources))
    _ENVIRONMENT = BenchEnvironment(moto_url=url, resources=resources, template=template)
    return _ENVIRONMENT


class RequestCounter:
    """Counts DynamoDB API calls on the shared PynamoDB client (botocore ``before-call`` hooks)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, event_name: str, **_: Any) -> None:
        self.calls.append(event_name.rsplit(".", 1)[-1])


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
