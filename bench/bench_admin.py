"""Admin API: cold start against the floor, and DynamoDB requests per call."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import Row, count_requests, median, start_environment

ROOT = Path(__file__).resolve().parents[1]
SECTION = "Admin API (issue 2)"
FLOOR = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
HANDLER = "import admin_api.handler; from b2b.db.table import dynamodb_client; dynamodb_client()"
# What the required stack costs before any route of ours: the Powertools HTTP resolver with
# validation, Logger and Metrics, pydantic, and a PynamoDB connection's client.
STACK = (
    "from aws_lambda_powertools import Logger, Metrics; "
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver; import pydantic; "
    "APIGatewayHttpResolver(enable_validation=True); Logger(); Metrics(namespace='bench'); "
    "from pynamodb.connection import Connection; Connection(region='us-east-1').client"
)
ROUNDS = 15


def _cold(code: str, env: dict[str, str]) -> float:
    script = f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def _environment(tracing: bool, cache: str) -> dict[str, str]:
    """Every process reads compiled bytecode from one private cache (filled by a first, unmeasured
    run), whatever the machine says about writing bytecode: floor and handler start alike."""
    env = dict(
        os.environ, POWERTOOLS_TRACE_DISABLED="false" if tracing else "true", PYTHONPYCACHEPREFIX=cache
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cold_start_rows() -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        for tracing in (False, True):
            env = _environment(tracing, cache)
            samples: dict[str, list[float]] = {FLOOR: [], HANDLER: [], STACK: []}
            for code in samples:
                _cold(code, env)  # fills the bytecode cache
            for _ in range(ROUNDS):  # alternate, so all see the same machine load
                for code, seconds in samples.items():
                    if code != STACK or not tracing:
                        seconds.append(_cold(code, env))
            floor, handler = median(samples[FLOOR]), median(samples[HANDLER])
            label = "X-Ray Tracer on (deployed default)" if tracing else "tracing off (local default)"
            rows.append(
                Row(
                    SECTION,
                    f"cold start, import + init of admin handler / floor — {label}",
                    f"{handler / floor:.2f}× ({handler * 1000:.0f} ms vs {floor * 1000:.0f} ms, median of {ROUNDS})",
                    "≤ 1.5×",
                    handler / floor <= 1.5,
                    "floor: a process that imports boto3 and creates one DynamoDB client; bytecode compiled for both",
                    key=f"admin.cold_start_ms.{'traced' if tracing else 'untraced'}",
                    number=round(handler * 1000, 1),
                )
            )
            if not tracing:
                stack = median(samples[STACK])
                rows.append(
                    Row(
                        SECTION,
                        "cold start of the required stack alone / floor — tracing off",
                        f"{stack / floor:.2f}× ({stack * 1000:.0f} ms)",
                        "",
                        None,
                        "Powertools HTTP resolver with validation, Logger, Metrics, pydantic and a PynamoDB "
                        "client, no route of ours: the least any API function built on them can take",
                        key="admin.cold_start_ms.stack",
                        number=round(stack * 1000, 1),
                    )
                )
    return rows


def request_rows() -> list[Row]:
    from b2b.domain.model import MembershipType
    from b2b.services import contracts, organizations

    org = organizations.register_organization(name=f"Bench Org {os.getpid()}")
    with count_requests() as created:
        contract = contracts.create_contract(
            organization_id=org.id, name="Bench", membership_type=MembershipType.CODE
        )
    with count_requests() as fetched:
        contracts.get_contract(contract.id)
    for i in range(4):
        contracts.create_contract(
            organization_id=org.id, name=f"Bench {i}", membership_type=MembershipType.AUTO
        )
    with count_requests() as listed:
        page = contracts.list_contracts(org.id, 2, None)
        pages = 1
        while page.next_cursor:
            page = contracts.list_contracts(org.id, 2, page.next_cursor)
            pages += 1
    return [
        Row(
            SECTION,
            "DynamoDB requests: get contract",
            str(len(fetched.calls)),
            "= 1",
            len(fetched.calls) == 1,
            ", ".join(fetched.calls),
        ),
        Row(
            SECTION,
            "DynamoDB requests: create contract",
            str(len(created.calls)),
            "≤ 2",
            len(created.calls) <= 2,
            ", ".join(created.calls),
        ),
        Row(
            SECTION,
            "DynamoDB requests: list contracts of an org, per page",
            f"{len(listed.calls) / pages:.0f} ({len(listed.calls)} for {pages} pages)",
            "= 1",
            len(listed.calls) == pages,
            "5 contracts, page size 2",
        ),
    ]


def run() -> list[Row]:
    start_environment()
    return cold_start_rows() + request_rows()
