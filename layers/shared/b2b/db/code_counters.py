"""Per-product code counters (available / redeemed / deactivated / retired / unlimited uses)."""

from __future__ import annotations

from b2b.db import keys
from b2b.db.models import CodeCounterItem
from b2b.db.transactions import Transaction


def counter_item(contract_id: int, product_id: int) -> CodeCounterItem:
    return CodeCounterItem(pk=keys.contract_pk(contract_id), sk=keys.code_counter_sk(product_id))


def counter_actions(
    contract_id: int,
    product_id: int,
    *,
    available: int = 0,
    redeemed: int = 0,
    deactivated: int = 0,
    retired: int = 0,
    unlimited_uses: int = 0,
) -> list[object]:
    """Update actions that move the counters by the given amounts (and keep the item's identity)."""
    actions: list[object] = [
        CodeCounterItem.entity.set(CodeCounterItem),
        CodeCounterItem.contract_id.set(contract_id),
        CodeCounterItem.product_id.set(product_id),
    ]
    for attribute, delta in (
        (CodeCounterItem.available, available),
        (CodeCounterItem.redeemed, redeemed),
        (CodeCounterItem.deactivated, deactivated),
        (CodeCounterItem.retired, retired),
        (CodeCounterItem.unlimited_uses, unlimited_uses),
    ):
        if delta:
            actions.append(attribute.add(delta))
    return actions


def add_counter_update(tx: Transaction, label: str, contract_id: int, product_id: int, **deltas: int) -> None:
    """Add a counter update to a transaction (creates the counter item on first use)."""
    tx.update(
        label, counter_item(contract_id, product_id), counter_actions(contract_id, product_id, **deltas)
    )
