"""The single table: one PynamoDB base model, the entity discriminator and the two overloaded GSIs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import Attribute, DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from b2b import snapstart
from b2b.settings import get_settings

_settings = get_settings()


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number kept as an exact :class:`~decimal.Decimal` (PynamoDB's own uses floats)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class Gsi1(GlobalSecondaryIndex["TableItem"]):
    """Overloaded index 1: 'children of a parent' lists (contracts of an org, all orgs, ...)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["TableItem"]):
    """Overloaded index 2: global lists (all contracts, ...)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    """Base of every item in the table; ``entity`` names the item's type."""

    class Meta:
        table_name = _settings.table_name
        region = _settings.aws_region
        # PynamoDB hands this to botocore (standard retry mode, 1 + 4 attempts with backoff): the only
        # retry of throttled or failed requests. Races are retried above it (b2b.db.retry).
        max_retry_attempts = 4
        # The SSO trigger attaches a learner to many contracts at once, one connection each.
        max_pool_connections = 32

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = DiscriminatorAttribute(attr_name="entity")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    # Epoch seconds; DynamoDB's TTL deletes ephemeral items (throttle windows, idempotency records).
    expires_at = NumberAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # PynamoDB keeps one connection per model class; every entity shares the base's, so a cold
        # start creates a single botocore client and request hooks see every call.
        if cls is not TableItem:
            return TableItem._get_connection()
        return super()._get_connection()


def dynamodb_client() -> Any:
    """The botocore DynamoDB client PynamoDB uses (shared, so event hooks see every request)."""
    return TableItem._get_connection().connection.client


@snapstart.after_restore
def _drop_pooled_connections() -> None:
    """Connections opened before a snapshot are not usable after a restore: start new ones.

    The client itself (its loaded service model, its credential provider, which refreshes the
    credentials Lambda gives the restored environment) is kept.
    """
    connection = TableItem._connection
    client = getattr(connection.connection, "_client", None) if connection is not None else None
    if client is not None:
        client._endpoint.http_session.close()
