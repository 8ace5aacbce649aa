"""Generated requests against the checkout routes (from the checkout function's OpenAPI) never get a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import GenerationMode

from tests.e2e.conftest import learner_headers
from tests.e2e.fuzzing import operations, server_errors


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_checkout_routes_never_answer_5xx(stack: Any, mode: GenerationMode, unique: str) -> None:
    headers = learner_headers(f"fuzz-{unique}")
    found = operations(stack, "/v1/checkout/openapi.json", headers)
    assert {op.path for op in found} >= {"/v1/checkout/validate", "/v1/checkout/complete"}
    assert server_errors(stack, found, mode, headers) == []
