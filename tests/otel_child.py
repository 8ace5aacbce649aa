"""A traced function process, as the OpenTelemetry layer starts one (used by test_tracing.py).

The SDK and the botocore instrumentation are set up before the handler is imported (what
``/opt/otel-instrument`` does with the layer's default list of instrumentations, which leaves httpx
off: the Open edX client instruments itself), spans go to memory, and each invocation runs inside a
span standing for the layer's invocation span. Prints the finished spans as JSON, after the log lines.
"""

from __future__ import annotations

import json
import sys

from opentelemetry import trace
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
BotocoreInstrumentor().instrument()


def main(organization_id: str, openedx_url: str) -> None:
    from admin_api.handler import lambda_handler
    from b2b.openedx import OpenEdxClient, OpenEdxConfig
    from sso_trigger.handler import lambda_handler as sso_trigger

    from tests.factories import admin_claims, generate_api_gw_event, generate_context

    tracer = trace.get_tracer("lambda-layer")
    with tracer.start_as_current_span("admin-api invocation"):
        body = {"organization_id": organization_id, "name": "Traced", "membership_type": "code"}
        response = lambda_handler(
            generate_api_gw_event("POST", "/v1/contracts", body, claims=admin_claims()), generate_context()
        )
    with open("events/cognito_post_authentication.json") as source:
        login = json.load(source)
    with tracer.start_as_current_span("sso-trigger invocation"):  # logs "SSO login"
        sso_trigger(login, generate_context())
    with tracer.start_as_current_span("cloner invocation"):
        config = OpenEdxConfig(
            studio_url=openedx_url, lms_url=openedx_url, client_id="b2b-cloner", client_secret="cloner-secret"
        )
        OpenEdxClient(config).access_token()
    spans = [
        {
            "name": span.name,
            "trace_id": span.context.trace_id,
            "parent": span.parent.span_id if span.parent else None,
            "span_id": span.context.span_id,
            "attributes": {k: str(v) for k, v in (span.attributes or {}).items()},
        }
        for span in exporter.get_finished_spans()
    ]
    # The function's log lines went to stdout before this last line.
    print(json.dumps({"status": response["statusCode"], "spans": spans}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
