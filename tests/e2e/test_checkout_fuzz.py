"""Generated requests against the checkout routes (from the checkout function's OpenAPI) never get a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.e2e.conftest import learner_headers

EXAMPLES_PER_OPERATION = 25


def operations(stack: Any, headers: dict[str, str]) -> list[Any]:
    document = httpx.get(f"{stack.api_url}/v1/checkout/openapi.json", headers=headers, timeout=60).json()
    return [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_checkout_routes_never_answer_5xx(stack: Any, mode: GenerationMode, unique: str) -> None:
    headers = learner_headers(f"fuzz-{unique}")
    failures: list[str] = []
    found = operations(stack, headers)
    assert {op.path for op in found} >= {"/v1/checkout/validate", "/v1/checkout/complete"}
    for operation in found:

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
            continue
    assert failures == []
