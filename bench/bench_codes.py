"""Enrollment codes: write requests and wall time of generating 4,000 codes against the floor
(raw BatchWriteItem of the same items on the same moto server), and a 100,000-code contract
reconciled completely in bounded messages."""

from __future__ import annotations

import math
import os
import time
import uuid
from decimal import Decimal

from bench.harness import Row, count_requests, start_environment

SECTION = "Enrollment codes (issue 4)"
WRITES = frozenset({"BatchWriteItem", "UpdateItem", "TransactWriteItems", "PutItem", "DeleteItem"})
BIG_LEARNERS = int(os.environ.get("BENCH_CODES_LEARNERS", "5000"))


def _floor_seconds(count: int) -> float:
    """Raw BatchWriteItem of ``count`` code items shaped exactly like the reconciler's."""
    from b2b.db.codes import code_item
    from b2b.db.table import dynamodb_client
    from b2b.domain.code_format import generate_code
    from b2b.domain.model import utcnow
    from b2b.domain.reconcile import CodeKind, CodeStatus, EnrollmentCode
    from b2b.settings import get_settings

    now = utcnow()
    items = [
        code_item(
            EnrollmentCode(
                generate_code(),
                999_999,
                1 + i // 200,
                i + 1,
                CodeKind.ONE_TIME,
                CodeStatus.AVAILABLE,
                Decimal("25"),
                None,
                None,
                0,
                now,
            )
        ).serialize()
        for i in range(count)
    ]
    client, table = dynamodb_client(), get_settings().table_name
    start = time.perf_counter()
    for i in range(0, count, 25):
        client.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]}
        )
    return time.perf_counter() - start


def _contract(learners: int, products: int):
    from tests.codes_support import add_products, make_contract

    contract = make_contract(uuid.uuid4().hex[:10].upper(), max_learners=learners, price=Decimal("25"))
    # As the courseware flow makes them: priced like their contract.
    add_products(contract, products, price=Decimal("25"))
    return contract


def generation_rows() -> list[Row]:
    from tests.codes_support import reconcile_all

    floor = _floor_seconds(4000)
    contract = _contract(200, 20)
    with count_requests() as counted:
        start = time.perf_counter()
        outcomes = reconcile_all(contract.id)
        elapsed = time.perf_counter() - start
    writes = [c for c in counted.calls if c in WRITES]
    limit = 1.1 * math.ceil(4000 / 25)
    made = sum(o.writes for o in outcomes)
    breakdown = ", ".join(f"{name} {writes.count(name)}" for name in sorted(set(writes)))
    return [
        Row(
            SECTION,
            "generate 4,000 codes (200 learners × 20 courses): DynamoDB write requests",
            f"{len(writes)} for {made} codes",
            f"≤ {limit:.0f} (1.1 × ⌈4000/25⌉)",
            len(writes) <= limit and made == 4000,
            f"{breakdown}; {len(outcomes)} messages; reads: {len(counted.calls) - len(writes)}",
            key="codes.generate.write_requests",
            number=len(writes),
        ),
        Row(SECTION, "codes generated in that run", str(made), key="codes.generate.codes", number=made),
        Row(
            SECTION,
            "generate 4,000 codes: wall time / floor",
            f"{elapsed / floor:.2f}× ({elapsed:.2f} s vs {floor:.2f} s)",
            "≤ 1.5×",
            elapsed <= 1.5 * floor,
            "floor: the same number of code items written with raw BatchWriteItem, same moto server, same run",
            key="codes.generate.seconds",
            number=round(elapsed, 3),
        ),
    ]


def large_contract_rows() -> list[Row]:
    from b2b.domain.codes import contract_stats, reconcile_codes
    from b2b.queues import ReconcileRequest

    contract = _contract(BIG_LEARNERS, 20)
    queue = [ReconcileRequest(contract_id=contract.id, reason="manual")]
    durations, writes = [], []
    redelivered = 0
    start = time.perf_counter()
    while queue:
        request = queue.pop(0)
        began = time.perf_counter()
        try:
            outcome = reconcile_codes(request, publish=queue.append)
        except Exception:
            # As SQS would: the failed message comes back and runs again from its start.
            redelivered += 1
            if redelivered > 10:
                raise
            queue.insert(0, request)
            continue
        durations.append(time.perf_counter() - began)
        writes.append(outcome.writes)
    total = time.perf_counter() - start
    stats = contract_stats(contract.id)
    expected = BIG_LEARNERS * 20
    return [
        Row(
            SECTION,
            f"{BIG_LEARNERS:,}-learner × 20-course contract ({expected:,} codes): reconciled completely",
            f"{stats.totals.available:,} codes in {len(durations)} messages, {total:.0f} s",
            f"= {expected:,}",
            stats.totals.available == expected,
            f"counted by the per-product counters; {redelivered} messages failed (moto timeouts) and ran again",
        ),
        Row(
            SECTION,
            "largest message: duration / item writes",
            f"{max(durations):.1f} s / {max(writes):,} writes",
            "≤ 90 s (function timeout) / ≤ 2,000",
            max(durations) <= 90 and max(writes) <= 2000,
            "moto server on this machine; the budget (RECONCILE_WRITE_BUDGET) bounds every message",
        ),
    ]


def run() -> list[Row]:
    start_environment()
    rows = generation_rows()
    for row in rows:
        print(f"   {row.metric}: {row.value} ({row.note})", flush=True)
    try:
        rows += large_contract_rows()
    except Exception as exc:  # report what happened rather than losing the section
        rows.append(
            Row(
                SECTION,
                f"{BIG_LEARNERS:,}-learner × 20-course contract",
                "did not complete",
                "complete",
                False,
                repr(exc)[:200],
            )
        )
    return rows
