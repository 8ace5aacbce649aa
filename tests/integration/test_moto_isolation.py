"""The local stack's moto server answers a read beside a write the way DynamoDB does."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from b2b.settings import get_settings
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends


class _PartitionsWithAWriteMidway(defaultdict):  # type: ignore[type-arg]
    """moto's partitions of a table, where iterating them lets another thread write a new partition
    after the first one: the moment a scan would be broken by a concurrent write."""

    def __init__(self, partitions: dict[Any, Any], write: threading.Thread) -> None:
        super().__init__(dict, partitions)
        self.write = write

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        view = iter(super().values())
        yield next(view)
        if not self.write.is_alive() and self.write.ident is None:
            self.write.start()
            self.write.join(timeout=0.5)  # isolated: the write waits for this read to end
        yield from view


def test_a_scan_is_not_broken_by_a_write_of_a_new_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    name = get_settings().table_name
    # No retries: a 500 from the server must show here, not be retried away.
    client = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    marker = f"ISOLATION#{uuid.uuid4().hex}"
    client.put_item(TableName=name, Item={"pk": {"S": f"{marker}#first"}, "sk": {"S": "ITEM"}})

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    table = backend.get_table(name)
    write = threading.Thread(
        target=backend.put_item, args=(name, {"pk": {"S": f"{marker}#second"}, "sk": {"S": "ITEM"}})
    )
    monkeypatch.setattr(table, "items", _PartitionsWithAWriteMidway(table.items, write))

    scanned = client.scan(TableName=name, Select="COUNT")  # a 500 here without the isolation

    write.join(timeout=5)
    assert not write.is_alive()
    assert scanned["Count"] >= 1
    found = client.get_item(TableName=name, Key={"pk": {"S": f"{marker}#second"}, "sk": {"S": "ITEM"}})
    assert "Item" in found  # the write was made, after the scan (monkeypatch restores the table after)
