"""Make moto's DynamoDB transactions isolated, as DynamoDB's are.

moto applies a TransactWriteItems one operation at a time and, when one fails, restores a copy of
the tables taken before it began. With concurrent requests (the threaded server) another write can
land in between and be lost by that restore, or see a half-applied transaction. Holding one lock
around every write operation of the backend restores DynamoDB's all-or-nothing, isolated behaviour
that the seat cap and one-time codes rely on.

moto also backs a transaction up by deep-copying the whole table once per operation; with the lock
held, backing up only the items the transaction touches restores the same state at a cost that no
longer grows with the table.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

_WRITE_LOCK = threading.RLock()
_writes = 0  # write operations so far (under the lock): tells the local data autosave something changed
_WRITE_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
# Reads that are not safe beside a write, serialized with the writes:
# - moto's get_item (behind GetItem and BatchGetItem) looks a missing item up in a defaultdict, which
#   inserts an empty partition: a read of a missing key mutates the table, and a concurrent
#   transaction's deepcopy of that table then fails;
# - query and scan iterate the table's partitions, and a write that adds a partition meanwhile makes
#   them fail ("dictionary changed size during iteration", a 500 that DynamoDB never gives).
_UNSAFE_READS = ("get_item", "query", "scan")


def write_count() -> int:
    """How many write operations the in-process DynamoDB backend has run."""
    return _writes


def _locked(method: Callable[..., Any], counts_as_write: bool = False) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _writes  # noqa: PLW0603 - one counter for the process's moto backend
        with _WRITE_LOCK:
            if counts_as_write:
                _writes += 1
            return method(*args, **kwargs)

    wrapper.__b2b_locked__ = True  # type: ignore[attr-defined]
    return wrapper


class _TableCopyElision:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend.

    moto backs up a transaction by deep-copying the whole table once per operation, which makes a
    transaction's cost grow with the table (hundreds of milliseconds at a few hundred items). Here a
    table "copy" is the table itself, and :func:`_with_item_rollback` restores only the items the
    transaction touches. Every other deep copy is unchanged.
    """

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, deep copy of the current item or None) for each operation."""
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415

    saved = []
    for entry in transact_items:
        try:
            op = next(iter(entry.values()))
            table = backend.tables[op["TableName"]]
            key = op.get("Key") or op["Item"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, StopIteration, TypeError, AttributeError):
            continue  # malformed: moto rejects it before writing anything
        current = table.get_item(hash_value, range_value)
        saved.append((table, hash_value, range_value, copy.deepcopy(current)))
    return saved


def _stream_lengths(saved: list[tuple[Any, Any, Any, Any]]) -> list[tuple[Any, int]]:
    """(stream shard, records in it) of each touched table with a stream, before the transaction."""
    shards = {id(t.stream_shard): t.stream_shard for t, *_ in saved if t.stream_shard is not None}
    return [(shard, len(shard.items)) for shard in shards.values()]


def _with_item_rollback(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _WRITE_LOCK:
            saved = _touched_items(self, transact_items)
            streams = _stream_lengths(saved)
            try:
                return method(self, transact_items)
            except Exception:
                # moto writes a stream record per operation as it goes; an aborted transaction
                # has none in DynamoDB, so the records of its applied operations go too.
                for shard, length in streams:
                    del shard.items[length:]
                for table, hash_value, range_value, item in reversed(saved):
                    if range_value is None:
                        if item is None:
                            table.items.pop(hash_value, None)
                        else:
                            table.items[hash_value] = item
                    elif item is None:
                        table.items[hash_value].pop(range_value, None)
                    else:
                        table.items[hash_value][range_value] = item
                raise

    wrapper.__b2b_item_rollback__ = True  # type: ignore[attr-defined]
    return wrapper


def apply() -> None:
    """Serialize the DynamoDB backend's writes and make transaction backups per item (idempotent)."""
    from moto.dynamodb import models as dynamodb_models  # noqa: PLC0415
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    for name in _WRITE_OPERATIONS + _UNSAFE_READS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__b2b_locked__", False):
            setattr(DynamoDBBackend, name, _locked(method, counts_as_write=name in _WRITE_OPERATIONS))
    namespace = vars(dynamodb_models)  # the backend module's globals, where it looks up ``copy``
    if not isinstance(namespace.get("copy"), _TableCopyElision):
        namespace["copy"] = _TableCopyElision(Table)
    transact = DynamoDBBackend.transact_write_items
    if not getattr(transact, "__b2b_item_rollback__", False):
        DynamoDBBackend.transact_write_items = _with_item_rollback(transact)  # type: ignore[method-assign]
