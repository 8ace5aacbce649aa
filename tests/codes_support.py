"""Helpers for the enrollment-code tests: contracts and products written straight to the table,
reconciliation driven to completion in-process, and a redemption done the way checkout does it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from b2b.db import codes as code_repo
from b2b.db import contracts as contract_repo
from b2b.db import keys
from b2b.db.code_counters import add_counter_update
from b2b.db.counters import next_id
from b2b.db.models import EnrollmentCodeItem, ProductItem
from b2b.db.products import product_item
from b2b.db.transactions import Transaction
from b2b.domain.model import Contract, MembershipType, Product, utcnow
from b2b.domain.reconcile import CodeKind, CodeStatus, EnrollmentCode
from b2b.queues import ReconcileRequest
from b2b.services import organizations
from b2b.services.codes import ReconcileOutcome, reconcile_codes

from tests import store_reads


def make_contract(
    unique: str,
    membership_type: MembershipType = MembershipType.CODE,
    max_learners: int | None = None,
    price: Decimal | None = None,
) -> Contract:
    """A contract (and its organization) written directly, so no reconcile message is queued."""
    org = organizations.register_organization(name=f"Codes Org {unique}")
    now = utcnow()
    return contract_repo.create_contract(
        Contract(
            id=0,
            organization_id=org.id,
            name=f"Codes {unique}",
            slug=f"codes-{unique.lower()}",
            description="",
            membership_type=membership_type,
            start=None,
            end=None,
            active=True,
            max_learners=max_learners,
            price=price,
            welcome_message="",
            created_at=now,
            updated_at=now,
            version=1,
        )
    )


def change(contract: Contract, **changes: Any) -> Contract:
    """Change a contract in the table (optimistic lock) without queueing a reconciliation."""
    current = contract_repo.get_contract(contract.id)
    return contract_repo.update_contract(current, replace(current, **changes))


def add_products(contract: Contract, count: int, price: Decimal = Decimal(0)) -> list[Product]:
    """``count`` products of the contract, written directly (the courseware flow makes them for real)."""
    products = []
    for i in range(count):
        product_id = next_id("product")
        product = Product(
            id=product_id,
            contract_id=contract.id,
            run_id=f"course-v1:UAI_TEST+C{i}+2026_C{contract.id}",
            course_id=f"course-v1:UAI_TEST+C{i}",
            title=f"Course {i}",
            price=price,
            active=True,
            created_at=utcnow(),
        )
        product_item(product).save()
        products.append(product)
    return products


def reconcile_all(contract_id: int, budget: int | None = None, **kwargs: Any) -> list[ReconcileOutcome]:
    """Run a reconcile request and every continuation it hands on, in-process."""
    queue: list[ReconcileRequest] = [ReconcileRequest(contract_id=contract_id, reason="manual")]
    outcomes = []
    while queue:
        request = queue.pop(0)
        outcomes.append(reconcile_codes(request, budget=budget, publish=queue.append, **kwargs))
        assert len(outcomes) < 10_000, "reconciliation does not converge"
    return outcomes


def codes_of(contract_id: int, product_id: int) -> list[EnrollmentCode]:
    return store_reads.product_codes(contract_id, product_id)


def redeem(code: EnrollmentCode, user_id: str = "learner-1") -> None:
    """Redeem a code as checkout does: conditional on it being available, counter in the same transaction."""
    item = EnrollmentCodeItem(pk=keys.code_pk(code.code), sk=keys.CODE_SK)
    tx = Transaction()
    if code.kind is CodeKind.ONE_TIME:
        tx.update(
            "code",
            item,
            [
                *code_repo.status_actions(code.contract_id, CodeStatus.REDEEMED),
                EnrollmentCodeItem.redemptions.add(1),
                EnrollmentCodeItem.redeemed_by.set(user_id),
                EnrollmentCodeItem.redeemed_at.set(utcnow()),
            ],
            EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value,
        )
        add_counter_update(tx, "counter", code.contract_id, code.product_id, available=-1, redeemed=1)
    else:
        tx.update(
            "code",
            item,
            [EnrollmentCodeItem.redemptions.add(1)],
            EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value,
        )
        add_counter_update(tx, "counter", code.contract_id, code.product_id, unlimited_uses=1)
    tx.commit()


def product_price(product_id: int) -> Decimal:
    return ProductItem.get(keys.product_pk(product_id), keys.PRODUCT_SK).price
