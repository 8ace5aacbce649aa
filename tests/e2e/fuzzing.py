"""Schemathesis over HTTP: generate requests from a served OpenAPI document and collect any 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 25


def operations(stack: Any, document_path: str, headers: dict[str, str]) -> list[Any]:
    """The operations of the OpenAPI document the local stack serves at ``document_path``."""
    document = httpx.get(f"{stack.api_url}{document_path}", headers=headers, timeout=60).json()
    return [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]


def server_errors(stack: Any, found: list[Any], mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    """Send generated requests (valid or invalid, by ``mode``) to each operation; describe each 5xx."""
    failures: list[str] = []
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
            continue  # nothing to make invalid in this operation (no parameters, no body)
    return failures
