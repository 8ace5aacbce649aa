"""Generated requests against the admin routes (from the served OpenAPI document) never get a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from b2b_local.tokens import mint_token
from schemathesis import GenerationMode

from tests.e2e.fuzzing import operations, server_errors


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_routes_never_answer_5xx(stack: Any, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {mint_token('fuzz-admin', admin=True)}"}
    found = operations(stack, "/v1/openapi.json", headers)
    assert {op.path for op in found} >= {
        "/v1/organizations",
        "/v1/contracts",
        "/v1/contracts/{contract_id}/codes",
    }
    assert server_errors(stack, found, mode, headers) == []
