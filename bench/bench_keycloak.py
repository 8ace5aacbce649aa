"""Keycloak webhook (issue 15): a stock keycloak-events login against a healthy, a slow and an absent
Keycloak (fake, on 127.0.0.1), the webhook's answer time against its budget, and what a retried
delivery costs."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from bench.harness import Row, count_requests, median, percentile, start_environment

SECTION = "Keycloak webhook (issue 15)"
EVENTS = 15
BUDGET_MS = 3000  # the template's KEYCLOAK_HOOK_BUDGET_MS


class _Context:
    function_name = "keycloak-hook"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:keycloak-hook"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _body(user: str) -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "time": int(time.time() * 1000),
            "realmId": "bench-realm",
            "type": "access.LOGIN",
            "authDetails": {"realmId": "bench-realm", "clientId": "b2b-frontend", "userId": user},
            "details": {"auth_method": "openid-connect"},
        },
        separators=(",", ":"),
    )


def _event(body: str, signature: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "POST /v1/hooks/keycloak",
        "rawPath": "/v1/hooks/keycloak",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-keycloak-signature": signature},
        "requestContext": {
            "http": {"method": "POST", "path": "/v1/hooks/keycloak", "sourceIp": "203.0.113.7"},
            "requestId": "bench",
            "routeKey": "POST /v1/hooks/keycloak",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def run() -> list[Row]:
    start_environment()
    from b2b_local.fake_keycloak import fake_keycloak

    with fake_keycloak() as keycloak:
        os.environ |= {
            "POWERTOOLS_METRICS_DISABLED": "true",
            "KEYCLOAK_URL": keycloak.url,
            "KEYCLOAK_REALM": keycloak.realm,
            "KEYCLOAK_CLIENT_ID": keycloak.client_id,
            "KEYCLOAK_CLIENT_SECRET": keycloak.client_secret,
            "KEYCLOAK_HOOK_BUDGET_MS": str(BUDGET_MS),
        }
        from b2b.domain.model import MembershipType
        from b2b.services import contracts, organizations
        from b2b.settings import LOCAL_WEBHOOK_SECRET, get_settings
        from keycloak_hook import handler
        from keycloak_hook.signature import sign_keycloak

        get_settings.cache_clear()
        tag = f"{os.getpid()}"
        kc_org = keycloak.add_organization(f"bench-{tag}")
        org = organizations.register_organization(name=f"Bench KC {tag}", sso_organization_id=kc_org)
        for i in range(5):
            contracts.create_contract(
                organization_id=org.id, name=f"Auto {i}", membership_type=MembershipType.AUTO
            )

        def deliver(user: str, body: str | None = None) -> tuple[float, int, str]:
            body = body or _body(user)
            started = time.perf_counter()
            response = handler.lambda_handler(
                _event(body, sign_keycloak(LOCAL_WEBHOOK_SECRET, body)), _Context()
            )
            elapsed = time.perf_counter() - started
            return elapsed, response["statusCode"], json.loads(response["body"]).get("status", "")

        def scenario(name: str) -> list[tuple[float, int, str]]:
            results = []
            for i in range(EVENTS):
                user = f"{name}-{tag}-{i}"
                keycloak.add_member(kc_org, user)
                results.append(deliver(user))
            return results

        deliver("warm")  # connection pools, first token
        healthy = scenario("healthy")
        keycloak.delay_seconds = 5.0
        slow = scenario("slow")
        keycloak.delay_seconds = 0.0
        keycloak.down = True
        down = scenario("down")
        keycloak.down = False

        replay = _body(f"healthy-{tag}-0")
        deliver("", replay)
        with count_requests() as duplicate:
            _, _, replay_status = deliver("", replay)

    def summary(results: list[tuple[float, int, str]]) -> tuple[float, float, str]:
        times = [r[0] for r in results]
        statuses = sorted({f"{r[1]} {r[2]}" for r in results})
        return median(times), percentile(times, 99), ", ".join(statuses)

    rows = []
    for label, results, expected in [
        ("healthy Keycloak", healthy, "200 processed"),
        ("Keycloak answering after 5 s", slow, "202 queued"),
        ("Keycloak answering 503", down, "202 queued"),
    ]:
        p50, p99, statuses = summary(results)
        rows.append(
            Row(
                SECTION,
                f"stock access.LOGIN, {label}: webhook answer p50 / p99",
                f"{p50 * 1000:.0f} ms / {p99 * 1000:.0f} ms",
                f"p99 < {BUDGET_MS} ms, {expected}",
                p99 < BUDGET_MS / 1000 and statuses == expected,
                f"{EVENTS} events, 5 auto contracts; answers: {statuses}; client timeout 1 s, 2 attempts, "
                "lookup capped at half the budget",
                key=f"keycloak_hook_{label.split()[1]}_p99_ms",
                number=round(p99 * 1000),
            )
        )
    rows.append(
        Row(
            SECTION,
            "retried delivery of a processed event: DynamoDB requests",
            f"{len(duplicate.calls)} ({', '.join(duplicate.calls)}), answer {replay_status}",
            "≤ 2, duplicate",
            len(duplicate.calls) <= 2 and replay_status == "duplicate",
            "conditional put of the event id fails, one read tells done from in progress; no Keycloak call",
        )
    )
    return rows
