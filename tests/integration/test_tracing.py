"""Tracing: with tracing on, every DynamoDB, SQS and outbound HTTP call is an OpenTelemetry span
of the invocation's trace, and the invocation's log lines carry that trace's id.

Runs a function process of its own (tests/otel_child.py), instrumented the way the OpenTelemetry
layer instruments a deployed one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from b2b.observability import xray_trace_id

from tests import builders
from tests.fake_openedx import fake_openedx

ROOT = Path(__file__).resolve().parents[2]


def test_dynamodb_sqs_and_http_calls_are_spans_and_logs_carry_the_trace_id(unique: str) -> None:
    # Given an organization, a fake Open edX, and a function process with tracing on
    org = builders.organization(unique)
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="false", POWERTOOLS_LOG_LEVEL="INFO")
    with fake_openedx() as openedx:
        # When it creates a contract (a transaction, then a reconcile message) and fetches a token
        out = subprocess.run(
            [sys.executable, "-m", "tests.otel_child", str(org.id), openedx.url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert out.returncode == 0, out.stderr[-3000:]
    *log_lines, last = out.stdout.strip().splitlines()
    result = json.loads(last)
    assert result["status"] == 201
    spans = result["spans"]
    invocation = next(s for s in spans if s["name"] == "admin-api invocation")
    in_invocation = [s for s in spans if s["trace_id"] == invocation["trace_id"] and s is not invocation]
    names = [s["name"] for s in in_invocation]
    # Then the DynamoDB writes and the queue message are spans of the invocation's trace
    assert "DynamoDB.TransactWriteItems" in names, names
    assert "SQS.SendMessage" in names, names
    assert all(s["parent"] == invocation["span_id"] for s in in_invocation)
    # And the Open edX token request is an HTTP span of its own invocation (the client instruments
    # itself: the layer leaves httpx off)
    cloner = next(s for s in spans if s["name"] == "cloner invocation")
    http = [s for s in spans if s["trace_id"] == cloner["trace_id"] and s["name"] == "POST"]
    assert (
        http
        and http[0]["attributes"].get("http.request.method", http[0]["attributes"].get("http.method"))
        == "POST"
    )
    # And the trigger's log line names its invocation's trace (X-Ray form) and span
    login = next(s for s in spans if s["name"] == "sso-trigger invocation")
    logs = [json.loads(line) for line in log_lines if line.startswith("{") and '"SSO login"' in line]
    assert len(logs) == 1, log_lines
    assert logs[0]["trace_id"] == xray_trace_id(login["trace_id"])
    assert logs[0]["span_id"] == f"{login['span_id']:016x}"
