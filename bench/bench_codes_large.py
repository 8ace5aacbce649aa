"""Enrollment codes at scale: a 5,000-learner × 20-course contract (100,000 codes) reconciled
completely in messages that each stay within the write budget. About 18 minutes against moto on two
cores: run it alone with ``make bench ARGS=codes_large``."""

from __future__ import annotations

import os
import time

from bench.bench_codes import _contract
from bench.harness import Row, start_environment

SECTION = "Enrollment codes at scale (issue 4)"
BIG_LEARNERS = int(os.environ.get("BENCH_CODES_LEARNERS", "5000"))


def large_contract_rows() -> list[Row]:
    from b2b.queues import ReconcileRequest
    from b2b.services.code_reports import contract_stats
    from b2b.services.codes import reconcile_codes

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
    try:
        return large_contract_rows()
    except Exception as exc:  # report what happened rather than losing the section
        return [
            Row(
                SECTION,
                f"{BIG_LEARNERS:,}-learner × 20-course contract",
                "did not complete",
                "complete",
                False,
                repr(exc)[:200],
            )
        ]
