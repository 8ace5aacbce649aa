"""End-to-end fixtures: the local stack (HTTP API + poller + worker processes) over the test moto server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from b2b_local.stack import LocalStack
from b2b_local.tokens import mint_token


@pytest.fixture(scope="session")
def stack(resources: Any) -> Iterator[LocalStack]:
    """The local stack on a free port, sharing the session's moto server and resources."""
    local = LocalStack(api_port=0, external_moto_url=resources.endpoint_url, prefix="b2b-test", workers=4)
    local.start()
    yield local
    local.stop()


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
