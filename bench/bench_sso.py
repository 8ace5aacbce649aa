"""SSO attachment (issue 6): a Cognito login joining 20 contracts, request counts, handler duration,
the seat cap under 100 racing logins, and what the Keycloak claim middleware costs."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.harness import Row, count_requests, median, percentile, start_environment, timed

SECTION = "SSO attachment (issue 6)"
CONTRACTS = 20
LOGINS = 20


class _Context:
    function_name = "sso-trigger"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sso-trigger"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 4000


def _event(sub: str, sso_id: str) -> dict[str, Any]:
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_BENCH",
        "userName": sub,
        "callerContext": {"awsSdkVersion": "bench", "clientId": "bench"},
        "triggerSource": "PostAuthentication_Authentication",
        "request": {"userAttributes": {"sub": sub, "custom:sso_org_id": sso_id}, "newDeviceUsed": False},
        "response": {},
    }


def run() -> list[Row]:
    start_environment()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from b2b.db import contracts as contract_repo
    from b2b.domain.model import MembershipType
    from b2b.services import contracts, organizations, sso
    from sso_trigger import handler

    tag = f"{os.getpid()}"
    org = organizations.register_organization(name=f"Bench SSO {tag}", sso_organization_id=f"bench-sso-{tag}")
    for i in range(CONTRACTS):
        contracts.create_contract(
            organization_id=org.id, name=f"Auto {i}", membership_type=MembershipType.AUTO
        )
    sso_id = org.sso_organization_id or ""
    handler.lambda_handler(_event(f"warm-{tag}", sso_id), _Context())  # warm the connection pool

    counter = iter(range(LOGINS * 2))
    request_counts: list[int] = []
    for _ in range(5):
        # A budget that never runs out, so no request of an earlier login lands in this count.
        with count_requests() as requests:
            sso.login_within_budget(f"counted-{tag}-{next(counter)}", [sso_id], 60.0)
        request_counts.append(len(requests.calls))

    complete: list[bool] = []

    def first_login() -> None:
        outcome = sso.login_within_budget(f"first-{tag}-{next(counter)}", [sso_id], 2.0)
        complete.append(outcome.complete and len(outcome.attached) == CONTRACTS)

    durations = timed(first_login, LOGINS)

    relogins = iter(range(LOGINS))

    def relogin() -> None:
        handler.lambda_handler(_event(f"counted-{tag}-{next(relogins) % 5}", sso_id), _Context())

    handler_durations = timed(relogin, LOGINS)

    # A separate organization, so the racers join the capped contract only.
    race_org = organizations.register_organization(
        name=f"Bench SSO race {tag}", sso_organization_id=f"bench-race-{tag}"
    )
    capped = contracts.create_contract(
        organization_id=race_org.id, name="Capped", membership_type=MembershipType.AUTO, max_learners=10
    )
    race_sso_id = race_org.sso_organization_id or ""
    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(
            pool.map(lambda i: sso.sync_memberships(f"racer-{tag}-{i}", [race_sso_id]), range(100))
        )
    racers_in = sum(capped.id in o.attached for o in outcomes)
    seats = contract_repo.get_seats_taken(capped.id)

    from b2b.services.sso import sync_claims

    sync_claims(f"claims-{tag}", [sso_id])
    with count_requests() as cached:
        sync_claims(f"claims-{tag}", [sso_id])
    sso._recent.clear()
    with count_requests() as fresh:
        sync_claims(f"claims-{tag}", [sso_id])

    worst = max(request_counts)
    return [
        Row(
            SECTION,
            f"DynamoDB requests: first login joining {CONTRACTS} open auto contracts",
            f"{worst} max over {len(request_counts)} logins",
            f"≤ 2 + {CONTRACTS}",
            worst <= 2 + CONTRACTS,
            "BatchGetItem (org + seen marker), Query (contracts of the org), one TransactWriteItems per contract",
        ),
        Row(
            SECTION,
            f"first login, {CONTRACTS} attaches concurrently: duration p50 / p99",
            f"{median(durations) * 1000:.0f} ms / {percentile(durations, 99) * 1000:.0f} ms",
            "p99 < 2000 ms (trigger budget)",
            percentile(durations, 99) < 2.0,
            f"in-process against moto server, which runs writes one at a time; all {CONTRACTS} joined within the budget in {sum(complete[:LOGINS])}/{LOGINS} logins",
        ),
        Row(
            SECTION,
            f"Cognito handler, returning learner ({CONTRACTS} contracts already joined): p50 / p99",
            f"{median(handler_durations) * 1000:.0f} ms / {percentile(handler_durations, 99) * 1000:.0f} ms",
            "p99 < 2000 ms",
            percentile(handler_durations, 99) < 2.0,
            "handler entry point, PostAuthentication event",
        ),
        Row(
            SECTION,
            "100 distinct learners racing for an auto contract capped at 10",
            f"{racers_in} attached, seat counter {seats}",
            "exactly 10",
            racers_in == 10 and seats == 10,
            "conditional seat update in the attach transaction",
        ),
        Row(
            SECTION,
            "Keycloak claim middleware, unchanged claim: DynamoDB requests",
            f"{len(cached.calls)} (same process) / {len(fresh.calls)} (fresh process)",
            "0 / ≤ 1",
            len(cached.calls) == 0 and len(fresh.calls) <= 1,
            ", ".join(fresh.calls) + " (conditional, fails when unchanged)",
        ),
    ]
