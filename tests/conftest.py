"""Test session set-up: one moto server on 127.0.0.1 with the table and queues of template.yaml,
for runs that include integration or end-to-end tests.

It starts in ``pytest_configure`` (before any test module imports the shared package, which reads
its settings once) and stops in ``pytest_unconfigure``. A run of ``tests/unit`` alone (or ``-m unit``)
starts no server and sets no variable: unit tests use the settings' defaults and no network.

Every test is marked by its directory: ``unit``, ``integration`` or ``e2e``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "integration", "e2e")


def _unit_only(config: pytest.Config) -> bool:
    """True when the run selects unit tests only (by path or by marker), so moto is not needed."""
    if config.getoption("markexpr", "").strip() == "unit":
        return True
    paths = [Path(arg.split("::", 1)[0]).resolve() for arg in config.args]
    return bool(paths) and all(path.is_relative_to(TESTS / "unit") for path in paths)


def pytest_configure(config: pytest.Config) -> None:
    if _unit_only(config):
        return
    from b2b_local import moto_isolation
    from b2b_local.resources import create_resources, shared_environment
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
    # Integration tests call several functions' handlers in one process: they get every function's
    # variables (the local stack, in the e2e tests, gives each function only its own).
    os.environ.update(shared_environment(template, resources))
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
    config.b2b_resources = resources  # type: ignore[attr-defined]
    config.b2b_template = template  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(item.path).resolve().relative_to(TESTS).parts
        if parts and parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


def pytest_unconfigure(config: pytest.Config) -> None:
    moto = getattr(config, "b2b_moto", None)
    if moto is not None:
        moto.stop()


@pytest.fixture(scope="session")
def resources(pytestconfig: pytest.Config) -> Any:
    """Names and URLs of the table and queues in the test moto server."""
    return pytestconfig.b2b_resources  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's tables fit the terminal; pytest-xdist workers have none (80 columns by default)."""
    monkeypatch.setenv("COLUMNS", "200")


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
