"""Checkout: DynamoDB requests per validate and complete, complete's latency against one bare
TransactWriteItems of the same items, and complete under 32 concurrent clients on the local stack.

Each part runs on a fresh, small table of its own, so no figure depends on what earlier parts (or
other benchmark modules) wrote.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from bench.harness import Row, count_requests, median, percentile, start_environment

SECTION = "Checkout (issue 5)"
ROUNDS = 40
CLIENTS = 32
STACK_REQUESTS = 128


def _event(
    path: str, body: dict[str, Any], sub: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": uuid.uuid4().hex,
            "routeKey": f"POST {path}",
            "stage": "$default",
            "authorizer": {"jwt": {"claims": {"sub": sub}, "scopes": None}},
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _use_table(name: str) -> None:
    """Point the data layer at ``name`` (PynamoDB reconnects when the table name changes)."""
    from b2b.db.table import TableItem

    TableItem.Meta.table_name = name


def _fresh_table(prefix: str) -> None:
    from b2b_local.resources import create_resources

    environment = start_environment()
    resources = create_resources(environment.template, environment.moto_url, "us-east-1", prefix)
    _use_table(resources.tables["Table"])


def _fixture() -> Any:
    from tests import builders

    suffix = uuid.uuid4().hex[:8].upper()
    contract = builders.contract(builders.organization(f"Bench {suffix}"))
    return builders, contract, builders.product(contract)


def request_rows() -> list[Row]:
    from checkout_api.handler import lambda_handler

    _fresh_table("b2b-bench-checkout-requests")
    builders, _, product = _fixture()
    value = builders.code(product)
    body = {"product_ids": [product.id], "code": value}
    with count_requests() as validated:
        answer = lambda_handler(_event("/v1/checkout/validate", body, "bench-v"), _Context())
    assert answer["statusCode"] == 200, answer
    with count_requests() as completed:
        answer = lambda_handler(
            _event("/v1/checkout/complete", body, "bench-c", {"idempotency-key": uuid.uuid4().hex}),
            _Context(),
        )
    assert answer["statusCode"] == 200, answer
    return [
        Row(
            SECTION,
            "DynamoDB requests: validate (1-line basket with a code)",
            str(len(validated.calls)),
            "≤ 3",
            len(validated.calls) <= 3,
            ", ".join(validated.calls) + f"; {validated.items_read} items read",
            key="checkout.validate.requests",
            number=len(validated.calls),
        ),
        Row(
            SECTION,
            "items read per validate",
            str(validated.items_read),
            key="checkout.validate.items_read",
            number=validated.items_read,
        ),
        Row(
            SECTION,
            "items read per complete",
            str(completed.items_read),
            key="checkout.complete.items_read",
            number=completed.items_read,
        ),
        Row(
            SECTION,
            "items written per complete (transactional)",
            str(completed.transactional_items),
            key="checkout.complete.transactional_items",
            number=completed.transactional_items,
        ),
        Row(
            SECTION,
            "DynamoDB requests: complete ($0, new learner, Idempotency-Key)",
            str(len(completed.calls)),
            "≤ 3",
            len(completed.calls) <= 3,
            ", ".join(completed.calls),
            key="checkout.complete.requests",
            number=len(completed.calls),
        ),
    ]


def latency_rows() -> list[Row]:
    from b2b.db import checkout as repo
    from b2b.db.contracts import get_contract
    from b2b.domain.checkout_rules import CheckoutCode, CheckoutPlan
    from b2b.domain.model import Membership, utcnow
    from checkout_api.handler import lambda_handler

    _fresh_table("b2b-bench-checkout-latency")
    builders, contract, product = _fixture()
    contract = get_contract(contract.id)
    complete_samples, floor_samples = [], []
    for i in range(ROUNDS):  # alternate, so both see the same table size and machine load
        value = builders.code(product)
        event = _event(
            "/v1/checkout/complete",
            {"product_ids": [product.id], "code": value},
            f"bench-lat-{i}",
            {"idempotency-key": uuid.uuid4().hex},
        )
        start = time.perf_counter()
        answer = lambda_handler(event, _Context())
        complete_samples.append(time.perf_counter() - start)
        assert answer["statusCode"] == 200, answer

        floor_code = builders.code(product)
        now = utcnow()
        user = f"bench-floor-{i}"
        plan = CheckoutPlan(
            user_id=user,
            product=replace(product),
            contract=contract,
            code=CheckoutCode(
                floor_code,
                contract.id,
                product.id,
                "one_time",
                "available",
                product.price,
                None,
                None,
                0,
                None,
                terms_version=contract.terms_version,
            ),
            attach=Membership(contract.id, user, "code", floor_code, now),
            now=now,
            order_reference=None,
            idempotency_key=uuid.uuid4().hex,
            request_hash="x",
            receipt=json.loads(answer["body"]),
        )
        tx = repo.checkout_transaction(plan)
        start = time.perf_counter()
        tx.commit()
        floor_samples.append(time.perf_counter() - start)
    ratio = median(complete_samples) / median(floor_samples)
    return [
        Row(
            SECTION,
            "complete, in-process handler latency / floor",
            f"{ratio:.2f}× ({median(complete_samples) * 1000:.1f} ms vs {median(floor_samples) * 1000:.1f} ms, median of {ROUNDS})",
            "≤ 2.5×",
            ratio <= 2.5,
            "floor: one TransactWriteItems of the same items on the same moto server",
            key="checkout.complete.latency_ms",
            number=round(median(complete_samples) * 1000, 1),
        )
    ]


def concurrency_rows() -> list[Row]:
    import httpx
    from b2b_local.stack import LocalStack
    from b2b_local.tokens import mint_token

    environment = start_environment()
    stack = LocalStack(
        api_port=0, external_moto_url=environment.moto_url, prefix="b2b-bench-checkout-load", workers=4
    )
    stack.start()
    try:
        assert stack.resources is not None
        _use_table(stack.resources.tables["Table"])
        builders, _, product = _fixture()
        values = builders.codes(product, STACK_REQUESTS)
        tokens = [mint_token(f"bench-load-{i}-{uuid.uuid4().hex[:6]}") for i in range(STACK_REQUESTS)]
        with httpx.Client(
            base_url=stack.api_url, timeout=120, limits=httpx.Limits(max_connections=CLIENTS)
        ) as http:

            def one(i: int) -> tuple[float, int]:
                start = time.perf_counter()
                response = http.post(
                    "/v1/checkout/complete",
                    json={"product_ids": [product.id], "code": values[i]},
                    headers={"Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": uuid.uuid4().hex},
                )
                return time.perf_counter() - start, response.status_code

            # Warm every worker process before measuring.
            warm = builders.codes(product, 8)
            for j, extra in enumerate(warm):
                http.post(
                    "/v1/checkout/complete",
                    json={"product_ids": [product.id], "code": extra},
                    headers={
                        "Authorization": f"Bearer {mint_token(f'bench-warm-{j}-{uuid.uuid4().hex[:6]}')}"
                    },
                )
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                results = list(pool.map(one, range(STACK_REQUESTS)))
    finally:
        stack.stop()
    samples = [s for s, _ in results]
    ok = sum(1 for _, status in results if status == 200)
    return [
        Row(
            SECTION,
            f"complete over HTTP, {CLIENTS} concurrent clients (local stack, 4 workers)",
            f"p50 {percentile(samples, 50) * 1000:.0f} ms, p99 {percentile(samples, 99) * 1000:.0f} ms",
            "",
            None,
            f"{STACK_REQUESTS} completes, {ok} answered 200, each a different learner and code; the local "
            "moto server runs writes one at a time, so this is mostly queueing behind it",
        )
    ]


def run() -> list[Row]:
    from b2b.db.table import TableItem

    start_environment()
    shared_table = TableItem.Meta.table_name
    try:
        return request_rows() + latency_rows() + concurrency_rows()
    finally:
        _use_table(shared_table)
