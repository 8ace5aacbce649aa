"""The span exporter of traced functions, against a fake X-Ray daemon on 127.0.0.1 (UDP)."""

from __future__ import annotations

import time

import pytest
from b2b import snapstart, tracing
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from tests.fake_xray_daemon import FakeXRayDaemon, fake_xray_daemon


def _provider(exporter: tracing.XRayDaemonExporter) -> TracerProvider:
    provider = TracerProvider(resource=tracing.function_resource({"AWS_LAMBDA_FUNCTION_NAME": "fn"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _wait_for(daemon: FakeXRayDaemon, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(daemon.spans) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_each_span_reaches_the_daemon_as_it_ends_with_the_functions_resource() -> None:
    with fake_xray_daemon() as daemon:
        exporter = tracing.XRayDaemonExporter(tracing.daemon_address(daemon.address))
        tracer = _provider(exporter).get_tracer("test")
        with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner") as inner:
            inner.set_attribute("code", 42)
        _wait_for(daemon, 2)
    assert [s.name for s in daemon.spans] == ["inner", "outer"]
    inner_span, outer_span = daemon.spans
    assert inner_span.parent_span_id == outer_span.span_id and inner_span.attributes["code"] == 42
    assert outer_span.resource["faas.name"] == "fn" and outer_span.resource["service.name"] == "fn"


def test_a_span_too_large_for_a_datagram_is_dropped_and_counted() -> None:
    with fake_xray_daemon() as daemon:
        exporter = tracing.XRayDaemonExporter(tracing.daemon_address(daemon.address))
        tracer = _provider(exporter).get_tracer("test")
        with tracer.start_as_current_span("huge") as span:
            span.set_attribute("blob", "x" * 70_000)
        with tracer.start_as_current_span("small"):
            pass
        _wait_for(daemon, 1)
    assert [s.name for s in daemon.spans] == ["small"]
    assert exporter.dropped == 1 and daemon.unreadable == []


def test_after_a_snapstart_restore_spans_go_out_through_a_socket_of_their_own() -> None:
    with fake_xray_daemon() as daemon:
        exporter = tracing.XRayDaemonExporter(tracing.daemon_address(daemon.address))
        tracer = _provider(exporter).get_tracer("test")
        with tracer.start_as_current_span("before snapshot"):
            pass
        before = exporter._open().getsockname()
        tracing._Started.exporter, started = exporter, tracing._Started.exporter
        try:
            snapstart.run_after_restore()
        finally:
            tracing._Started.exporter = started
        assert exporter._socket is None
        with tracer.start_as_current_span("after restore"):
            pass
        _wait_for(daemon, 2)
        after = exporter._open().getsockname()
    assert [s.name for s in daemon.spans] == ["before snapshot", "after restore"]
    assert before != after


def test_nothing_listening_does_not_fail_the_invocation() -> None:
    exporter = tracing.XRayDaemonExporter(("127.0.0.1", 9))  # UDP: nothing to answer, nothing raised
    tracer = _provider(exporter).get_tracer("test")
    with tracer.start_as_current_span("unheard"):
        pass
    assert exporter.export([]) is SpanExportResult.SUCCESS


@pytest.mark.parametrize("value", ["169.254.79.129", ":2000", "host:port"])
def test_a_malformed_daemon_address_is_refused_by_name(value: str) -> None:
    with pytest.raises(ValueError, match="AWS_XRAY_DAEMON_ADDRESS"):
        tracing.daemon_address(value)


def test_after_a_restore_the_daemon_address_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000")
    exporter = tracing.XRayDaemonExporter()
    with fake_xray_daemon() as daemon:
        # Given the restored environment's daemon listens elsewhere than the snapshot's did
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", daemon.address)
        exporter.reset()
        tracer = _provider(exporter).get_tracer("test")
        with tracer.start_as_current_span("after restore"):
            pass
        _wait_for(daemon, 1)
    assert [s.name for s in daemon.spans] == ["after restore"]
