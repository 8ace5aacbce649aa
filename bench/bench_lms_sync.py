"""Outbox: delay from a committed $0 checkout to the enrollment in the (fake) LMS, through the table's
stream, the event publisher, the LMS sync queue and worker, on the local stack."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import httpx

from bench.harness import Row, median, percentile, start_environment

SECTION = "Enrollments reach the LMS (issue 16)"
ROUNDS = 40
WARMUP = 3


def run() -> list[Row]:
    environment = start_environment()
    from b2b.db import keys
    from b2b.db.counters import next_id
    from b2b.db.models import EnrollmentCodeItem
    from b2b.db.products import product_item
    from b2b.domain import code_format
    from b2b.domain.model import MembershipType, Product, utcnow
    from b2b.services import contracts, organizations
    from b2b_local.fake_lms import fake_lms
    from b2b_local.stack import LocalStack
    from b2b_local.tokens import mint_token

    tag = uuid.uuid4().hex[:8].upper()
    org = organizations.register_organization(name=f"Bench LMS {tag}")
    contract = contracts.create_contract(
        organization_id=org.id, name="Bench LMS", membership_type=MembershipType.CODE
    )
    delays: list[float] = []
    with fake_lms() as lms:
        stack = LocalStack(
            api_port=0,
            external_moto_url=environment.moto_url,
            prefix="b2b-bench",
            workers=4,
            extra_environment=lms.environment(),
        ).start()
        try:
            with httpx.Client(base_url=stack.api_url, timeout=30) as http:
                for i in range(WARMUP + ROUNDS):
                    product_id = next_id("product")
                    product = Product(
                        id=product_id,
                        contract_id=contract.id,
                        run_id=f"course-v1:UAI_BENCH+{tag}+{i}_C{contract.id}",
                        course_id=f"course-v1:UAI_BENCH+{tag}+{i}",
                        title="Bench",
                        price=Decimal(0),
                        active=True,
                        created_at=utcnow(),
                    )
                    product_item(product).save()
                    code = code_format.generate_code()
                    EnrollmentCodeItem(
                        pk=keys.code_pk(code),
                        sk=keys.CODE_SK,
                        code=code,
                        contract_id=contract.id,
                        product_id=product_id,
                        kind="one_time",
                        status="available",
                        amount=Decimal(0),
                        redemptions=0,
                        created_at=utcnow(),
                    ).save()
                    sub = f"bench-{tag}-{i}"
                    answer = http.post(
                        "/v1/checkout/complete",
                        json={"product_ids": [product_id], "code": code},
                        headers={"Authorization": f"Bearer {mint_token(sub)}"},
                    )
                    committed = time.time()
                    assert answer.status_code == 200, answer.text
                    deadline = time.monotonic() + 60
                    while (state := lms.enrollment(sub, product.run_id)) is None:
                        assert time.monotonic() < deadline, "the LMS never got the enrollment"
                        time.sleep(0.005)
                    if i >= WARMUP:
                        delays.append(max(0.0, state.changed_at - committed))
        finally:
            stack.stop()
    p50, p99 = median(delays), percentile(delays, 99)
    note = (
        f"{ROUNDS} sequential $0 checkouts over HTTP after {WARMUP} warm-up ones; from the checkout's 200 "
        "to the fake LMS applying the enrollment; local stream poll every 0.1 s"
    )
    return [
        Row(SECTION, "commit → LMS enrollment, p50", f"{p50:.2f} s", "", None, note, "lms_delay_p50", p50),
        Row(
            SECTION,
            "commit → LMS enrollment, p99",
            f"{p99:.2f} s",
            "< 30 s (e2e bound)",
            p99 < 30,
            note,
            "lms_delay_p99",
            p99,
        ),
    ]
