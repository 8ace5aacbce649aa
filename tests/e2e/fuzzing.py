"""Schemathesis over HTTP: requests generated from the served OpenAPI document, answers checked.

Each generated request must get no 5xx, a status its operation documents, the documented content
type, and a body that matches the documented schema.
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Kept small so the whole suite stays fast; raise it locally to search harder.
EXAMPLES_PER_OPERATION = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def operations(stack: Any, roles: list[str], path_prefixes: tuple[str, ...] = ("/v1/",)) -> list[Any]:
    """The operations of the served document whose ``x-roles`` is ``roles`` (and path starts so)."""
    document = httpx.get(f"{stack.api_url}/v1/openapi.json", timeout=60).json()
    return [
        operation
        for operation in (r.ok() for r in schemathesis.openapi.from_dict(document).get_all_operations())
        if operation.definition.raw.get("x-roles") == roles and operation.path.startswith(path_prefixes)
    ]


def failures(stack: Any, found: list[Any], mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    """Send generated requests (valid or invalid, by ``mode``) to each operation; describe each failure."""
    problems: list[str] = []
    for operation in found:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            try:
                case.call_and_validate(base_url=stack.api_url, headers=headers, checks=CHECKS)
            except AssertionError as failure:  # schemathesis' Failure and FailureGroup
                problems.append(f"{case.method} {case.formatted_path} {case.body!r}: {failure}"[:2000])
            except BaseExceptionGroup as group:
                problems.append(f"{case.method} {case.formatted_path} {case.body!r}: {group}"[:2000])

        try:
            check()
        except Unsatisfiable:
            continue  # nothing to make invalid in this operation (no parameters, no body)
    return problems
