"""Generated requests against the checkout and learner routes (from the served OpenAPI document) get
documented answers."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import GenerationMode

from tests.e2e.conftest import learner_headers
from tests.e2e.fuzzing import failures, operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_checkout_routes_answer_as_documented(stack: Any, mode: GenerationMode, unique: str) -> None:
    found = operations(stack, ["learner", "admin"], ("/v1/checkout/", "/v1/codes/"))
    assert {op.path for op in found} == {
        "/v1/checkout/validate",
        "/v1/checkout/complete",
        "/v1/codes/{code}/attach",
    }
    problems = failures(stack, found, mode, learner_headers(f"fuzz-{unique}"))
    assert problems == [], "\n\n".join(problems)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_learner_routes_answer_as_documented(stack: Any, mode: GenerationMode, unique: str) -> None:
    found = operations(stack, ["learner", "admin"], ("/v1/me/",))
    assert {(op.method.upper(), op.path) for op in found} == {
        ("GET", "/v1/me/contracts"),
        ("GET", "/v1/me/enrollments"),
        ("DELETE", "/v1/me/enrollments/{run_id}"),
        ("GET", "/v1/me/default-enrollments"),
        ("GET", "/v1/me/orders"),
    }
    problems = failures(stack, found, mode, learner_headers(f"fuzz-{unique}"))
    assert problems == [], "\n\n".join(problems)
