"""The queue consumers without SnapStart load only what their own use case needs at cold start.

Each handler is imported in a fresh process, as Lambda's init does, and the modules it pulled in are
checked against those of other use cases (docs/decisions.md, "Cold start"). A shared module that
starts importing one of them again shows up here, not only as a slower figure in the bench.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Modules of other use cases: listing and exporting codes, courseware attachment, enrollments,
# the HTTP API's schemas, and the HTTP client with its tracing.
NOT_ON_THE_RECONCILER_PATH = {
    "b2b.services.code_reports",
    "b2b.domain.code_audit",
    "b2b.domain.courseware",
    "b2b.domain.enrollments",
    "b2b.db.courseware",
    "b2b.api",
    "csv",
    "httpx",
    "opentelemetry.instrumentation.httpx",
}
NOT_ON_THE_CLONER_PATH = {
    "b2b.services.codes",
    "b2b.db.courseware",
    "b2b.db.organizations",
    "b2b.domain.enrollments",
    "b2b.domain.reconcile",
    "b2b.api",
}


def loaded_modules(module: str, *, tracing: bool) -> set[str]:
    script = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, STAGE="local", POWERTOOLS_TRACE_DISABLED="false" if tracing else "true")
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("tracing", [False, True], ids=["tracing off", "tracing on"])
def test_the_code_reconciler_loads_no_other_use_case(tracing: bool) -> None:
    # Given a fresh process, When the reconciler's handler is imported
    loaded = loaded_modules("code_reconciler.handler", tracing=tracing)
    # Then its own use case is there and no other use case's modules are
    assert "b2b.services.codes" in loaded
    assert sorted(loaded & NOT_ON_THE_RECONCILER_PATH) == []


@pytest.mark.parametrize("tracing", [False, True], ids=["tracing off", "tracing on"])
def test_the_courseware_cloner_loads_no_other_use_case(tracing: bool) -> None:
    # Given a fresh process, When the cloner's handler is imported
    loaded = loaded_modules("courseware_cloner.handler", tracing=tracing)
    # Then the clone lease and the Studio client are there and no other use case's modules are
    assert {"b2b.db.clones", "b2b.openedx"} <= loaded
    assert sorted(loaded & NOT_ON_THE_CLONER_PATH) == []
