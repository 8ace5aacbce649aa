"""Generated requests (schemathesis, from the served OpenAPI document) never get a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from b2b_local.tokens import mint_token
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 25


def operations(stack: Any) -> list[Any]:
    document = httpx.get(f"{stack.api_url}/v1/openapi.json", timeout=60).json()
    return [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_routes_never_answer_5xx(stack: Any, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {mint_token('fuzz-admin', admin=True)}"}
    failures: list[str] = []
    for operation in operations(stack):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call(base_url=stack.api_url, headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.body!r} → {response.status_code}: {response.text}"
                )

        try:
            check()
        except Unsatisfiable:
            continue  # nothing to make invalid in this operation (no parameters, no body)
    assert failures == []
