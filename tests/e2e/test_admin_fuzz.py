"""Generated requests against the admin routes (from the served OpenAPI document) get documented answers."""

from __future__ import annotations

from typing import Any

import pytest
from b2b_local.tokens import mint_token
from schemathesis import GenerationMode

from tests.e2e.fuzzing import failures, operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_routes_answer_as_documented(stack: Any, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {mint_token('fuzz-admin', admin=True)}"}
    found = operations(stack, ["admin"])
    assert len(found) >= 28
    problems = failures(stack, found, mode, headers)
    assert problems == [], "\n\n".join(problems)
