"""Admin API: cold start against the floor, and DynamoDB requests per call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.harness import Row, count_requests, median, start_environment

ROOT = Path(__file__).resolve().parents[1]
SECTION = "Admin API (issue 2)"
FLOOR = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
HANDLER = "import admin_api.handler; from b2b.db.table import dynamodb_client; dynamodb_client()"
ROUNDS = 15


def _cold(code: str, env: dict[str, str]) -> float:
    script = f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def cold_start_rows() -> list[Row]:
    rows = []
    for tracing in (False, True):
        env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="false" if tracing else "true")
        floor, handler = [], []
        for _ in range(ROUNDS):  # alternate, so both see the same machine load
            floor.append(_cold(FLOOR, env))
            handler.append(_cold(HANDLER, env))
        ratio = median(handler) / median(floor)
        label = "X-Ray Tracer on (deployed default)" if tracing else "tracing off (local default)"
        rows.append(
            Row(
                SECTION,
                f"cold start, import + init of admin handler / floor — {label}",
                f"{ratio:.2f}× ({median(handler) * 1000:.0f} ms vs {median(floor) * 1000:.0f} ms, median of {ROUNDS})",
                "≤ 1.5×",
                ratio <= 1.5,
                "floor: a process that imports boto3 and creates one DynamoDB client",
                key=f"admin.cold_start_ms.{'traced' if tracing else 'untraced'}",
                number=round(median(handler) * 1000, 1),
            )
        )
    return rows


def request_rows() -> list[Row]:
    from b2b.domain import contracts, organizations
    from b2b.domain.model import MembershipType

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
