"""Enrollment codes: write requests and wall time of generating 4,000 codes against the floor
(raw BatchWriteItem of the same items on the same moto server). The 100,000-code contract is its own
section, ``codes_large`` (about 18 minutes)."""

from __future__ import annotations

import math
import time
import uuid
from decimal import Decimal

from bench.harness import Row, count_requests, median, start_environment

SECTION = "Enrollment codes (issue 4)"
WRITES = frozenset({"BatchWriteItem", "UpdateItem", "TransactWriteItems", "PutItem", "DeleteItem"})
ROUNDS = 5


def _floor_seconds(count: int) -> tuple[float, list[dict]]:
    """Raw BatchWriteItem of ``count`` code items shaped exactly like the reconciler's; returns the
    time taken and the items' keys."""
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
    return time.perf_counter() - start, [{"pk": item["pk"], "sk": item["sk"]} for item in items]


def _delete(keys: list[dict]) -> None:
    """Remove items between rounds, so every round starts from the same table (moto's index
    queries scan the whole table, so leftovers would slow each later round)."""
    from b2b.db.table import dynamodb_client
    from b2b.settings import get_settings

    client, table = dynamodb_client(), get_settings().table_name
    for i in range(0, len(keys), 25):
        pending = [{"DeleteRequest": {"Key": key}} for key in keys[i : i + 25]]
        while pending:
            pending = (
                client.batch_write_item(RequestItems={table: pending})
                .get("UnprocessedItems", {})
                .get(table, [])
            )


def _code_keys(contract_id: int) -> list[dict]:
    from b2b.db.codes import contract_codes, new_code_attributes

    return [
        {name: value for name, value in new_code_attributes(code).items() if name in ("pk", "sk")}
        for code in contract_codes(contract_id)
    ]


def _contract(learners: int, products: int):
    from tests.codes_support import add_products, make_contract

    contract = make_contract(uuid.uuid4().hex[:10].upper(), max_learners=learners, price=Decimal("25"))
    # As the courseware flow makes them: priced like their contract.
    add_products(contract, products, price=Decimal("25"))
    return contract


def generation_rows() -> list[Row]:
    from tests.codes_support import reconcile_all

    floors, runs, write_counts, made_counts = [], [], [], []
    for _ in range(ROUNDS):  # alternate floor and reconciler, so both see the same machine load
        seconds, floor_keys = _floor_seconds(4000)
        floors.append(seconds)
        _delete(floor_keys)
        contract = _contract(200, 20)
        with count_requests() as counted:
            start = time.perf_counter()
            outcomes = reconcile_all(contract.id)
            runs.append(time.perf_counter() - start)
        writes = [c for c in counted.calls if c in WRITES]
        write_counts.append(len(writes))
        made_counts.append(sum(o.writes for o in outcomes))
        _delete(_code_keys(contract.id))
    floor, elapsed = median(floors), median(runs)
    limit = 1.1 * math.ceil(4000 / 25)
    made = made_counts[0]
    breakdown = ", ".join(f"{name} {writes.count(name)}" for name in sorted(set(writes)))
    return [
        Row(
            SECTION,
            "generate 4,000 codes (200 learners × 20 courses): DynamoDB write requests",
            f"{max(write_counts)} for {made} codes",
            f"≤ {limit:.0f} (1.1 × ⌈4000/25⌉)",
            max(write_counts) <= limit and set(made_counts) == {4000},
            f"last round: {breakdown}; {len(outcomes)} messages; reads: {len(counted.calls) - len(writes)}",
            key="codes.generate.write_requests",
            number=max(write_counts),
        ),
        Row(SECTION, "codes generated in that run", str(made), key="codes.generate.codes", number=made),
        Row(
            SECTION,
            "generate 4,000 codes: wall time / floor",
            f"{elapsed / floor:.2f}× ({elapsed:.2f} s vs {floor:.2f} s, medians of {ROUNDS})",
            "≤ 1.5×",
            elapsed <= 1.5 * floor,
            "floor: the same number of code items written with raw BatchWriteItem, same moto server, "
            "same run; each round starts from the same table (its items are deleted after it); "
            f"rounds alternate (ratios per round: {', '.join(f'{r / f:.2f}' for r, f in zip(runs, floors, strict=True))})",
            key="codes.generate.seconds",
            number=round(elapsed, 3),
        ),
    ]


def run() -> list[Row]:
    start_environment()
    rows = generation_rows()
    return rows
