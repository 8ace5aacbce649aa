"""End-to-end fixtures: the local stack (HTTP API + poller + worker processes) over the test moto server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from b2b_local.stack import LocalStack
from b2b_local.tokens import mint_token

from tests.log_hygiene import codes_in_table, find_leaks


@pytest.fixture(scope="session")
def stack(resources: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
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
