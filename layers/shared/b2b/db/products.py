"""Products: one per contract run, found by id (checkout) or listed per contract (reconciler)."""

from __future__ import annotations

from b2b.db import keys
from b2b.db.errors import translate_errors
from b2b.db.models import ProductItem
from b2b.domain.model import Product


def product_item(product: Product) -> ProductItem:
    """The item for ``product``; callers put it in their own transaction."""
    return ProductItem(
        pk=keys.product_pk(product.id),
        sk=keys.PRODUCT_SK,
        gsi1pk=keys.contract_products_gsi1_pk(product.contract_id),
        gsi1sk=keys.product_gsi_sk(product.id),
        product_id=product.id,
        contract_id=product.contract_id,
        run_id=product.run_id,
        course_id=product.course_id,
        title=product.title,
        price=product.price,
        active=product.active,
        created_at=product.created_at,
        run_start=product.run_start,
        run_end=product.run_end,
    )


def to_product(item: ProductItem) -> Product:
    return Product(
        id=int(item.product_id),
        contract_id=int(item.contract_id),
        run_id=item.run_id,
        course_id=item.course_id,
        title=item.title,
        price=item.price,
        active=bool(item.active),
        created_at=item.created_at,
        run_start=item.run_start,
        run_end=item.run_end,
    )


def list_products(contract_id: int) -> list[Product]:
    """Every product of a contract, in id order (one Query per 1 MB page)."""
    with translate_errors():
        return [
            to_product(item)  # type: ignore[arg-type]
            for item in ProductItem.gsi1.query(keys.contract_products_gsi1_pk(contract_id))
        ]
