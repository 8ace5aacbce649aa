"""Builders for checkout test data: organizations, contracts, products and enrollment codes.

Products and codes are written straight through the data layer (their own APIs live elsewhere), with
the code counter kept in step as the code generator does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from b2b.db import contracts as contract_repo
from b2b.db import keys
from b2b.db.code_counters import add_counter_update
from b2b.db.counters import next_id
from b2b.db.models import EnrollmentCodeItem
from b2b.db.products import product_item
from b2b.db.transactions import Transaction
from b2b.domain import code_format
from b2b.domain.model import Contract, MembershipType, Organization, Product, utcnow
from b2b.services import contracts, organizations


def organization(unique: str, *, sso_organization_id: str | None = None) -> Organization:
    return organizations.register_organization(
        name=f"Checkout Org {unique}", sso_organization_id=sso_organization_id
    )


def contract(
    org: Organization,
    *,
    membership_type: MembershipType = MembershipType.CODE,
    max_learners: int | None = None,
    price: Decimal | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    active: bool = True,
) -> Contract:
    created = contracts.create_contract(
        organization_id=org.id,
        name=f"Contract of {org.name}",
        membership_type=membership_type,
        max_learners=max_learners,
        price=price,
        start=start,
        end=end,
    )
    if not active:
        created = contracts.deactivate_contract(created.id)
    return created


def product(of: Contract, *, price: Decimal | None = None) -> Product:
    product_id = next_id("product")
    built = Product(
        id=product_id,
        contract_id=of.id,
        run_id=f"course-v1:UAI_TEST+C{of.id}+P{product_id}_C{of.id}",
        course_id=f"course-v1:UAI_TEST+C{of.id}+P{product_id}",
        title=f"Course {product_id}",
        price=price if price is not None else (of.price or Decimal(0)),
        active=True,
        created_at=utcnow(),
    )
    product_item(built).save()
    return built


def code(
    of: Product,
    *,
    kind: str = "one_time",
    status: str = "available",
    amount: Decimal = Decimal(0),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> str:
    """A new enrollment code for ``of`` (normalized form), with its counter moved."""
    value = code_format.generate_code()
    item = EnrollmentCodeItem(
        pk=keys.code_pk(value),
        sk=keys.CODE_SK,
        gsi1pk=keys.contract_codes_gsi1_pk(of.contract_id),
        gsi1sk=f"CODE#{value}",
        code=value,
        contract_id=of.contract_id,
        product_id=of.id,
        kind=kind,
        status=status,
        amount=amount,
        valid_from=valid_from,
        valid_until=valid_until,
        redemptions=0,
        created_at=utcnow(),
        # Issued under the contract's current terms, as the reconciler issues codes.
        terms_version=contract_repo.get_contract(of.contract_id).terms_version,
    )
    tx = Transaction()
    tx.put("code", item, EnrollmentCodeItem.pk.does_not_exist())
    add_counter_update(tx, "counter", of.contract_id, of.id, **{status: 1})
    tx.commit()
    return value


def codes(of: Product, count: int, **options: object) -> list[str]:
    return [code(of, **options) for _ in range(count)]  # type: ignore[arg-type]
