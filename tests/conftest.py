"""Test session set-up: one moto server on 127.0.0.1 with the table and queues of template.yaml.

It starts in ``pytest_configure`` (before any test module imports the shared package, which reads
its settings once) and stops in ``pytest_unconfigure``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from b2b_local import moto_isolation
    from b2b_local.resources import create_resources, function_environment
    from b2b_local.stack import free_port
    from b2b_local.template import read_template
    from moto.server import ThreadedMotoServer

    moto_isolation.apply()
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    config.b2b_moto = moto  # type: ignore[attr-defined]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    template = read_template()
    resources = create_resources(template, f"http://127.0.0.1:{port}", "us-east-1", "b2b-test")
    os.environ.update(function_environment(template, resources))
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
    config.b2b_resources = resources  # type: ignore[attr-defined]
    config.b2b_template = template  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    moto = getattr(config, "b2b_moto", None)
    if moto is not None:
        moto.stop()


@pytest.fixture(scope="session")
def resources(pytestconfig: pytest.Config) -> Any:
    """Names and URLs of the table and queues in the test moto server."""
    return pytestconfig.b2b_resources  # type: ignore[attr-defined]


@pytest.fixture
def unique() -> str:
    """A short unique suffix so tests sharing the table never collide."""
    return uuid.uuid4().hex[:10].upper()


class RequestCounter:
    """Counts DynamoDB API calls made through the shared PynamoDB client (botocore event hooks)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, event_name: str, **_: Any) -> None:
        self.calls.append(event_name.rsplit(".", 1)[-1])

    @property
    def count(self) -> int:
        return len(self.calls)

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def ddb_requests() -> Iterator[RequestCounter]:
    """Counts every DynamoDB request the data layer makes while the test runs."""
    from b2b.db.table import dynamodb_client

    counter = RequestCounter()
    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", counter)
    yield counter
    events.unregister("before-call.dynamodb", counter)
