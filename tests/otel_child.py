"""A traced function process, as Lambda runs one with active tracing (used by test_tracing.py).

Nothing of OpenTelemetry is set up here: importing the handlers with ``POWERTOOLS_TRACE_DISABLED``
false starts it (b2b.tracing), and spans go to the X-Ray daemon at ``AWS_XRAY_DAEMON_ADDRESS`` (the
test's fake one). Before each invocation ``_X_AMZN_TRACE_ID`` is set to a trace of its own, as Lambda
sets it. Prints one JSON line per invocation (its name, trace header and result) after the log lines.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

INVOCATIONS = {
    "admin": ("1-67a0c0de-0123456789abcdef01234567", "53995c3f42cd8ad8"),
    "sso": ("1-67a0c0de-89abcdef0123456789abcdef", "1b2c3d4e5f607182"),
    "cloner": ("1-67a0c0de-fedcba9876543210fedcba98", "0a1b2c3d4e5f6071"),
}


def _invoke(name: str, call: Any) -> Any:
    root, parent = INVOCATIONS[name]
    os.environ["_X_AMZN_TRACE_ID"] = f"Root={root};Parent={parent};Sampled=1"
    result = call()
    print(json.dumps({"invocation": name, "root": root, "parent": parent, "result": result}), flush=True)
    return result


def main(organization_id: str, openedx_url: str) -> None:
    from admin_api.handler import lambda_handler
    from b2b.observability import logger, tracer
    from b2b.openedx import OpenEdxClient, OpenEdxConfig
    from sso_trigger.handler import lambda_handler as sso_trigger

    from tests.factories import admin_claims, generate_api_gw_event, generate_context

    body = {"organization_id": organization_id, "name": "Traced", "membership_type": "code"}
    event = generate_api_gw_event("POST", "/v1/contracts", body, claims=admin_claims())
    _invoke("admin", lambda: lambda_handler(event, generate_context())["statusCode"])
    with open("events/cognito_post_authentication.json") as source:
        login = json.load(source)
    _invoke("sso", lambda: bool(sso_trigger(login, generate_context())))  # logs "SSO login"

    config = OpenEdxConfig(
        studio_url=openedx_url, lms_url=openedx_url, client_id="b2b-cloner", client_secret="cloner-secret"
    )

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    def cloner(event: dict[str, Any], context: Any) -> bool:  # the Open edX client inside an invocation
        return bool(OpenEdxClient(config).access_token())

    _invoke("cloner", lambda: cloner({}, generate_context()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
