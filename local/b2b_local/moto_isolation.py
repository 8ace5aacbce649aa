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
# moto's get_item (behind GetItem and BatchGetItem) looks a missing item up in a defaultdict, which
# inserts an empty partition: a read of a missing key mutates the table, and a concurrent
# transaction's deepcopy of that table then fails. Reads of items are serialized with the writes.
_MUTATING_READS = ("get_item",)


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

    for name in _WRITE_OPERATIONS + _MUTATING_READS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__b2b_locked__", False):
            setattr(DynamoDBBackend, name, _locked(method))
