"""Item models of the single table (one class per entity type)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from b2b.db.table import DecimalAttribute, TableItem


class OrganizationItem(TableItem, discriminator="organization"):
    """An organization. The same attributes are stored under the canonical key ``ORG#<id>`` and under
    one alias key per unique attribute (slug, org key, SSO id), so each lookup is one GetItem and
    uniqueness is a condition on the alias put."""

    org_id = NumberAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    org_key = UnicodeAttribute()
    org_key_prefix = UnicodeAttribute()
    sso_organization_id = UnicodeAttribute(null=True)
    description = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)


class ContractItem(TableItem, discriminator="contract"):
    """A contract; ``version`` guards admin edits (optimistic locking)."""

    contract_id = NumberAttribute()
    organization_id = NumberAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    membership_type = UnicodeAttribute()
    start = UTCDateTimeAttribute(null=True)
    end = UTCDateTimeAttribute(null=True)
    active = BooleanAttribute(default=True)
    max_learners = NumberAttribute(null=True)
    price = DecimalAttribute(null=True)
    welcome_message = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class SeatCounterItem(TableItem, discriminator="seats"):
    """Seats taken in a contract, next to a copy of its cap so one conditional update can take a seat."""

    contract_id = NumberAttribute()
    taken = NumberAttribute(default=0)
    cap = NumberAttribute(null=True)


class CounterItem(TableItem, discriminator="counter"):
    """An atomic counter handing out integer ids."""

    value = NumberAttribute(default=0)
