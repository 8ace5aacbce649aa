"""Tracing: with tracing on, every DynamoDB, SQS and outbound HTTP call is an OpenTelemetry span
of the invocation's trace, sent to the X-Ray daemon, and the invocation's log lines carry that
trace's id.

Runs a function process of its own (tests/otel_child.py) with tracing on, as Lambda runs one with
active tracing: ``_X_AMZN_TRACE_ID`` set per invocation, spans sent over UDP to the daemon at
``AWS_XRAY_DAEMON_ADDRESS``, here a fake one that decodes them as the daemon does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from b2b.observability import xray_trace_id
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests import builders
from tests.fake_openedx import fake_openedx
from tests.fake_xray_daemon import ReceivedSpan, fake_xray_daemon

ROOT = Path(__file__).resolve().parents[2]


def _traced_process(args: list[str], daemon: str, **variables: str) -> str:
    """Run ``python ARGS`` as a function process with tracing on and spans going to ``daemon``."""
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="false", AWS_XRAY_DAEMON_ADDRESS=daemon, **variables)
    out = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _trace_hex(xray_root: str) -> str:
    return xray_root.replace("1-", "", 1).replace("-", "")


def test_dynamodb_sqs_and_http_calls_reach_the_xray_daemon_as_spans_of_lambdas_trace(unique: str) -> None:
    # Given an organization, a fake Open edX, a fake X-Ray daemon and a function process with tracing on
    org = builders.organization(unique)
    with fake_openedx() as openedx, fake_xray_daemon() as daemon:
        # When it creates a contract (a transaction, then a reconcile message), handles a login and
        # fetches an Open edX token, each in an invocation of its own
        stdout = _traced_process(
            ["-m", "tests.otel_child", str(org.id), openedx.url],
            daemon.address,
            POWERTOOLS_LOG_LEVEL="INFO",
            POWERTOOLS_SERVICE_NAME="b2b-admin",
        )
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    invocations = {line["invocation"]: line for line in lines if "invocation" in line}
    assert invocations["admin"]["result"] == 201
    assert daemon.unreadable == []
    by_trace: dict[str, list[ReceivedSpan]] = {}
    for span in daemon.spans:
        by_trace.setdefault(span.trace_id, []).append(span)

    def invocation(name: str) -> tuple[ReceivedSpan, list[ReceivedSpan]]:
        # Then each invocation is one server span, child of the segment Lambda named in _X_AMZN_TRACE_ID
        spans = by_trace.get(_trace_hex(invocations[name]["root"]), [])
        servers = [s for s in spans if s.kind == Span.SPAN_KIND_SERVER]
        assert len(servers) == 1, [(s.name, s.kind) for s in spans]
        assert servers[0].parent_span_id == invocations[name]["parent"]
        assert servers[0].attributes["faas.invocation_id"]
        return servers[0], [s for s in spans if s is not servers[0]]

    admin, calls = invocation("admin")
    names = [s.name for s in calls]
    # And the DynamoDB writes and the queue message are client spans under it
    assert "DynamoDB.TransactWriteItems" in names, names
    assert "SQS.SendMessage" in names, names
    assert all(s.parent_span_id == admin.span_id and s.kind == Span.SPAN_KIND_CLIENT for s in calls)
    transaction = next(s for s in calls if s.name == "DynamoDB.TransactWriteItems")
    assert transaction.attributes["rpc.service"] == "DynamoDB"
    assert admin.resource["service.name"] == "b2b-admin"
    assert admin.resource["cloud.platform"] == "aws_lambda"

    # And the Open edX token request is an HTTP client span of its invocation
    cloner, calls = invocation("cloner")
    http = [
        s for s in calls if s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
    ]
    assert len(http) == 1, [(s.name, s.attributes) for s in calls]
    assert http[0].parent_span_id == cloner.span_id
    assert str(http[0].attributes.get("url.full", http[0].attributes.get("http.url"))).startswith(openedx.url)

    # And the trigger's log line names its invocation's trace (X-Ray form) and span
    login, _ = invocation("sso")
    logs = [line for line in lines if line.get("message") == "SSO login"]
    assert len(logs) == 1, lines
    assert logs[0]["trace_id"] == xray_trace_id(int(login.trace_id, 16)) == invocations["sso"]["root"]
    assert logs[0]["span_id"] == login.span_id


def test_a_failed_invocation_ends_its_span_with_the_error() -> None:
    # Given the tracing a traced function starts, and an invocation that raises
    script = """
import os
os.environ["_X_AMZN_TRACE_ID"] = "Root=1-67a0c0de-00000000000000000000abcd;Parent=00000000000000aa;Sampled=1"
from b2b.observability import tracer
from tests.factories import generate_context

@tracer.capture_lambda_handler
def handler(event, context):
    raise RuntimeError("boom")

try:
    handler({}, generate_context())
except RuntimeError:
    pass
"""
    with fake_xray_daemon() as daemon:
        _traced_process(["-c", script], daemon.address)
    # Then its span reached the daemon marked as an error, with the exception recorded
    (span,) = daemon.spans
    assert span.trace_id.endswith("abcd") and span.parent_span_id == "00000000000000aa"
    assert span.status_code == 2  # STATUS_CODE_ERROR
