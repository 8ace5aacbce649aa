"""Item models of the single table (one class per entity type)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
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


class ProductItem(TableItem, discriminator="product"):
    """The product of one contract run; checkout looks it up by id."""

    product_id = NumberAttribute()
    contract_id = NumberAttribute()
    run_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    price = DecimalAttribute()
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    run_start = UTCDateTimeAttribute(null=True)
    run_end = UTCDateTimeAttribute(null=True)


class EnrollmentCodeItem(TableItem, discriminator="code"):
    """An enrollment code (a fixed-price discount tied to one product). ``pk`` holds the normalized code.

    ``status``: available | redeemed | deactivated. A one-time code becomes ``redeemed`` on first use;
    an unlimited code stays ``available`` and counts its uses. A code with ``redemptions > 0`` is
    history: the reconciler never changes or deletes it.
    """

    code = UnicodeAttribute()
    contract_id = NumberAttribute()
    product_id = NumberAttribute()
    kind = UnicodeAttribute()  # one_time | unlimited
    status = UnicodeAttribute()
    amount = DecimalAttribute()
    payment_type = UnicodeAttribute(default="sales")
    bulk = BooleanAttribute(default=True)
    valid_from = UTCDateTimeAttribute(null=True)
    valid_until = UTCDateTimeAttribute(null=True)
    redemptions = NumberAttribute(default=0)
    redeemed_by = UnicodeAttribute(null=True)
    redeemed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class MembershipItem(TableItem, discriminator="membership"):
    """A learner attached to a contract (holds one seat). ``source``: code | sso | admin."""

    contract_id = NumberAttribute()
    user_id = UnicodeAttribute()
    source = UnicodeAttribute()
    code = UnicodeAttribute(null=True)
    attached_at = UTCDateTimeAttribute()


class EnrollmentItem(TableItem, discriminator="enrollment"):
    """A learner's enrollment in a course run (``status``: active | unenrolled)."""

    user_id = UnicodeAttribute()
    run_id = UnicodeAttribute()
    contract_id = NumberAttribute(null=True)
    product_id = NumberAttribute(null=True)
    source = UnicodeAttribute()  # checkout | default_enrollment | admin
    status = UnicodeAttribute(default="active")
    enrolled_at = UTCDateTimeAttribute()


class CodeCounterItem(TableItem, discriminator="code_counter"):
    """Codes of one product by status, kept in step with every code write (same transaction or
    same conditional update), so statistics never scan codes."""

    contract_id = NumberAttribute()
    product_id = NumberAttribute()
    available = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    deactivated = NumberAttribute(default=0)
    # Uses of unlimited codes (each checkout with one).
    unlimited_uses = NumberAttribute(default=0)


class SsoSeenItem(TableItem, discriminator="sso_seen"):
    """The SSO organization ids a learner's identity provider named last, and their fingerprint
    (a conditional put on a different fingerprint tells a changed claim set in one write)."""

    user_id = UnicodeAttribute()
    organization_ids = ListAttribute(of=UnicodeAttribute, default=list)
    fingerprint = UnicodeAttribute()
    seen_at = UTCDateTimeAttribute()


class AttachRefusalItem(TableItem, discriminator="attach_refusal"):
    """Why SSO could not attach a learner to a contract (latest attempt), e.g. ``contract_full``."""

    contract_id = NumberAttribute()
    user_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    refused_at = UTCDateTimeAttribute()


class DefaultEnrollmentIntentionItem(TableItem, discriminator="default_enrollment_intention"):
    """A course (``kind`` course: its current contract run) or run learners of a contract get enrolled in."""

    intention_id = NumberAttribute()
    contract_id = NumberAttribute()
    kind = UnicodeAttribute()  # course | run
    content_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class DefaultEnrollmentKeyItem(TableItem, discriminator="default_enrollment_key"):
    """Guard making a content key appear once among a contract's intentions."""

    intention_id = NumberAttribute()
    contract_id = NumberAttribute()


class DefaultEnrollmentRealizationItem(TableItem, discriminator="default_enrollment_realization"):
    """An intention realized for one learner: the run it enrolled them in (exactly once)."""

    user_id = UnicodeAttribute()
    contract_id = NumberAttribute()
    intention_id = NumberAttribute()
    run_id = UnicodeAttribute()
    # True when the learner already had an enrollment in that run (nothing new was written).
    enrollment_existed = BooleanAttribute(default=False)
    realized_at = UTCDateTimeAttribute()
