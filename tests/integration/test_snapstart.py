"""SnapStart: copies restored from one snapshot stay unique; a primed init leaves little for the
first request.

Both run the function in a process of its own (tests/snapstart_child.py), since init happens once
per process and this test process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests import builders
from tests.fake_xray_daemon import fake_xray_daemon

ROOT = Path(__file__).resolve().parents[2]


def _child(*args: str, tracing: bool = False, daemon: str = "") -> Any:
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="false" if tracing else "true")
    if daemon:
        env["AWS_XRAY_DAEMON_ADDRESS"] = daemon
    out = subprocess.run(
        [sys.executable, "-m", "tests.snapstart_child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_two_restored_copies_draw_different_codes_ids_and_random_numbers(unique: str) -> None:
    # Given the checkout and reconciler functions initialized once, as for a snapshot
    org = builders.organization(unique)
    contract = builders.contract(org)
    # (tracing on, so their init started OpenTelemetry too)
    # When two copies resume from that one state and each draws codes, change ids (the queue's
    # deduplication ids), trace and span ids and numbers from the module-level generator
    first, second = _child("restored-copies", str(contract.id), tracing=True)
    # Then no code, id or number appears in both copies (nor twice in one)
    for name in ("codes", "change_ids", "trace_ids", "span_ids", "random"):
        together = first[name] + second[name]
        assert len(set(together)) == len(together), name
    # And the generator state the snapshot held would have repeated itself without the hook
    assert first["random_without_hook"] == second["random_without_hook"]


@pytest.mark.parametrize("kind", ["checkout", "learner", "admin", "sso"])
def test_first_request_after_a_primed_init_costs_at_most_one_and_a_half_warm_ones(
    kind: str, unique: str
) -> None:
    # Given data for a read-only request of each kind (a returning learner for the SSO trigger)
    org = builders.organization(unique, sso_organization_id=f"sso-{unique}")
    contract = builders.contract(org)
    product = builders.product(contract)
    code = builders.code(product)
    request = {
        "user_id": f"learner-{unique}",
        "contract_id": contract.id,
        "product_id": product.id,
        "code": code,
        "sso_org_id": f"no-such-org-{unique}",
    }
    if kind == "sso":  # a returning learner: a first login also records that it was seen
        from b2b.services import sso

        sso.login_within_budget(request["user_id"], [request["sso_org_id"]], 2.0)
    # When a SnapStart-initialized function serves its first request, then twelve more alike
    result = _child("first-request", kind, json.dumps(request))
    # Then every one succeeded
    assert all(status in (None, 200) for status in result["statuses"]), result["statuses"]
    # And the function's own work (CPU time of its process) for the first took at most 1.5 times
    # the median warm one. Wall clock also counts the connection a restored environment must open
    # and moto's own first-call costs, so it is reported, not judged (docs/benchmarks.md).
    first, warm = result["cpu"][0], statistics.median(result["cpu"][1:])
    wall_first, wall_warm = result["wall"][0], statistics.median(result["wall"][1:])
    assert first <= 1.5 * warm, (
        f"CPU first {first * 1000:.1f} ms, warm median {warm * 1000:.1f} ms; "
        f"wall first {wall_first * 1000:.1f} ms, warm median {wall_warm * 1000:.1f} ms"
    )


def test_with_tracing_on_priming_sends_no_span_and_every_request_after_restore_does(unique: str) -> None:
    # Given a learner's read, and a fake X-Ray daemon
    org = builders.organization(unique)
    request = {"user_id": f"learner-{unique}"}
    with fake_xray_daemon() as daemon:
        # When the learner API is initialized for a snapshot (priming serves every GET route a few
        # times), restored, and serves thirteen requests, with tracing on
        result = _child("first-request", "learner", json.dumps(request), tracing=True, daemon=daemon.address)
    assert all(status == 200 for status in result["statuses"]), result["statuses"]
    assert org.id  # the learner's contracts are read from a table that holds data
    # Then the daemon got one invocation span per request served after the restore, none from priming
    servers = [s for s in daemon.spans if s.kind == Span.SPAN_KIND_SERVER]
    assert len(servers) == len(result["statuses"]) == 13
    # And each request's DynamoDB reads are spans under its invocation span
    reads = [s for s in daemon.spans if s.name.startswith("DynamoDB.")]
    assert {s.parent_span_id for s in reads} == {s.span_id for s in servers}
