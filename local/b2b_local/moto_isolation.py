"""Make moto's DynamoDB transactions isolated, as DynamoDB's are.

moto applies a TransactWriteItems one operation at a time and, when one fails, restores a copy of
the tables taken before it began. With concurrent requests (the threaded server) another write can
land in between and be lost by that restore, or see a half-applied transaction. Holding one lock
around every write operation of the backend restores DynamoDB's all-or-nothing, isolated behaviour
that the seat cap and one-time codes rely on.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_WRITE_LOCK = threading.RLock()
_WRITE_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return method(*args, **kwargs)

    wrapper.__b2b_locked__ = True  # type: ignore[attr-defined]
    return wrapper


def apply() -> None:
    """Serialize the DynamoDB backend's writes (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

    for name in _WRITE_OPERATIONS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__b2b_locked__", False):
            setattr(DynamoDBBackend, name, _locked(method))
    _apply_item_level_transactions()


# moto backs up a transaction by deep-copying the whole table once per operation, so a
# transaction's cost grows with the table (seconds per request once it holds thousands of codes).
# Under the write lock above nothing else writes meanwhile, so saving and restoring only the items
# the transaction touches gives the same all-or-nothing result at a cost independent of table size.


class _KeepTables:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend during a transaction:
    tables are not copied (their touched items are saved instead); anything else is."""

    def __init__(self, real: Any, table_type: type) -> None:
        self._real = real
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return self._real.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    import copy  # noqa: PLC0415

    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415

    saved = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        current = table.get_item(hash_value, range_value)
        saved.append((table, hash_value, range_value, copy.deepcopy(current)))
    return saved


def _restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        if item is None:
            if table.get_item(hash_value, range_value) is not None:
                table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = item
        else:
            table.items[hash_value] = item


def _item_level_transactions(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        from moto.dynamodb import models  # noqa: PLC0415

        with _WRITE_LOCK:
            saved = _touched_items(self, transact_items)
            real_copy = models.copy  # type: ignore[attr-defined]
            models.copy = _KeepTables(real_copy, models.Table)  # type: ignore[attr-defined,assignment]
            try:
                return method(self, transact_items)
            except Exception:
                _restore(saved)
                raise
            finally:
                models.copy = real_copy  # type: ignore[attr-defined]

    wrapper.__b2b_item_level__ = True  # type: ignore[attr-defined]
    return wrapper


def _apply_item_level_transactions() -> None:
    """Make moto's transactions save only the items they touch (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

    method = DynamoDBBackend.transact_write_items
    if not getattr(method, "__b2b_item_level__", False):
        DynamoDBBackend.transact_write_items = _item_level_transactions(method)  # type: ignore[method-assign]
