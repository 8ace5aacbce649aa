"""The table's stream on the test moto server: committed writes have records, aborted transactions none."""

from __future__ import annotations

import boto3
import pytest
from b2b.settings import get_settings
from botocore.exceptions import ClientError


@pytest.fixture
def stream(resources):
    options = {"endpoint_url": resources.endpoint_url, "region_name": "us-east-1"}
    streams = boto3.client("dynamodbstreams", **options)
    arn = resources.stream_arns["Table"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]

    def records_since_start() -> list[dict]:
        return streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]

    return boto3.client("dynamodb", **options), records_since_start


def put(table: str, pk: str, condition: str | None = None) -> dict:
    operation = {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": "X"}, "entity": {"S": "probe"}}}
    if condition:
        operation["ConditionExpression"] = condition
    return {"Put": operation}


def test_an_aborted_transaction_leaves_no_stream_record(stream, unique):
    dynamodb, all_records = stream
    table = get_settings().table_name

    def records() -> list[dict]:
        # Only this test's items: other tests' writes share the table and its stream.
        return [r for r in all_records() if r["dynamodb"]["Keys"]["pk"]["S"].startswith(f"P#{unique}")]

    dynamodb.put_item(TableName=table, Item={"pk": {"S": f"P#{unique}-B"}, "sk": {"S": "X"}})
    before = len(records())
    # Given a transaction whose first put applies in moto before its second put's condition fails
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                put(table, f"P#{unique}-A"),
                put(table, f"P#{unique}-B", "attribute_not_exists(pk)"),
            ]
        )
    # Then the stream holds nothing new, as DynamoDB's would
    assert len(records()) == before
    # And a committed transaction has one record per item written
    dynamodb.transact_write_items(TransactItems=[put(table, f"P#{unique}-A"), put(table, f"P#{unique}-C")])
    new = records()[before:]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in new) == [f"P#{unique}-A", f"P#{unique}-C"]
    assert {r["eventName"] for r in new} == {"INSERT"}
