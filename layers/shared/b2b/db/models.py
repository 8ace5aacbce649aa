"""Item models of the single table (one class per entity type)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
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
    sso_aliases = ListAttribute(of=UnicodeAttribute, null=True)
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
    # Bumped with every change of terms (price, membership type, dates, active, cap); absent = 0.
    terms_version = NumberAttribute(null=True)


class SeatCounterItem(TableItem, discriminator="seats"):
    """Seats taken in a contract, next to a copy of its cap so one conditional update can take a seat."""

    contract_id = NumberAttribute()
    taken = NumberAttribute(default=0)
    cap = NumberAttribute(null=True)
    # Seats held by pending orders: learner -> {"order": id, "until": epoch seconds}; every change of
    # the map bumps ``holds_version``, which seat-taking writes condition on (see b2b.domain.orders).
    holds = MapAttribute(null=True)  # type: ignore[var-annotated]
    holds_version = NumberAttribute(null=True)


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

    ``status``: available | redeemed | deactivated | retired (see ``b2b.domain.reconcile`` for the
    states and their transitions). A one-time code becomes ``redeemed`` on first use; an unlimited
    code stays ``available`` and counts its uses until the contract's terms change, when it is
    ``retired`` (its redemptions kept). A one-time code with ``claimed_by`` is *claimed*.
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
    # The learner who attached with this one-time code: only they can still check out with it.
    claimed_by = UnicodeAttribute(null=True)
    # A pending order reserves a one-time code for its learner until ``reserved_until`` (epoch s).
    reserved_by = UnicodeAttribute(null=True)
    reserved_until = NumberAttribute(null=True)
    reserved_order = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # Per-product sequence number: orders codes by age ("deactivate the newest first").
    seq = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute(null=True)
    # The contract's terms version this code's terms were set under (absent = 0).
    terms_version = NumberAttribute(null=True)


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
    # The learner's email when the enrolling request carried one (the LMS account is found by it).
    email = UnicodeAttribute(null=True)
    # The LMS sync worker's last result and the status it was about (see b2b.domain.lms).
    lms_state = UnicodeAttribute(null=True)
    lms_status = UnicodeAttribute(null=True)
    lms_error = UnicodeAttribute(null=True)
    lms_synced_at = UTCDateTimeAttribute(null=True)


class EnrollmentHistoryItem(TableItem, discriminator="enrollment_history"):
    """An earlier enrollment in a run the learner ended and then enrolled in again (kept as it was)."""

    user_id = UnicodeAttribute()
    run_id = UnicodeAttribute()
    contract_id = NumberAttribute(null=True)
    product_id = NumberAttribute(null=True)
    source = UnicodeAttribute()
    status = UnicodeAttribute()
    enrolled_at = UTCDateTimeAttribute()
    replaced_at = UTCDateTimeAttribute()


class DriftMarkerItem(TableItem, discriminator="drift_marker"):
    """A contract the drift sweep found unhealthy: since when, and in how many sweeps in a row."""

    contract_id = NumberAttribute()
    first_seen_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    sweeps = NumberAttribute(default=0)


class SweepPositionItem(TableItem, discriminator="sweep_position"):
    """Where an unfinished drift sweep stopped (the contracts list cursor); absent between passes."""

    cursor = UnicodeAttribute()
    pass_started_at = UTCDateTimeAttribute()


class CodeCounterItem(TableItem, discriminator="code_counter"):
    """Codes of one product by status, kept in step with every code write (same transaction or
    same conditional update), so statistics never scan codes."""

    contract_id = NumberAttribute()
    product_id = NumberAttribute()
    available = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    deactivated = NumberAttribute(default=0)
    retired = NumberAttribute(default=0)
    # Uses of unlimited codes (each checkout with one).
    unlimited_uses = NumberAttribute(default=0)
    # Highest code sequence number already counted in ``available``: codes above it were written
    # but not yet counted (a reconciler run stopped in between), and the next run counts them.
    issued_seq = NumberAttribute(null=True)


class CodeAttemptsItem(TableItem, discriminator="code_attempts"):
    """Failed code attempts of one learner in one fixed window; TTL removes it after the window."""

    user_id = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    window_ends_at = NumberAttribute()  # epoch seconds


class CheckoutResultItem(TableItem, discriminator="checkout_result"):
    """The receipt of a completed checkout (JSON), replayed for a retry with the same Idempotency-Key.
    Written in the checkout's own transaction, so it exists exactly when the checkout happened."""

    user_id = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class AuditItem(TableItem, discriminator="audit"):
    """One change to codes or memberships: who, when, what, through which path (``source``)."""

    action = UnicodeAttribute()  # code_redeemed | learner_attached
    actor = UnicodeAttribute()
    contract_id = NumberAttribute()
    product_id = NumberAttribute(null=True)
    code = UnicodeAttribute(null=True)
    source = UnicodeAttribute()  # checkout | attach_by_code
    reference = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()


class CourseItem(TableItem, discriminator="course"):
    """A catalog course. ``source_run_id`` (the run tagged SOURCE) and ``first_run_id`` are kept up
    to date by each run registration, so attaching courseware finds the run to clone without
    querying the course's runs."""

    course_id = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    source_run_id = UnicodeAttribute(null=True)
    first_run_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class CourseRunItem(TableItem, discriminator="course_run"):
    """A catalog course run. ``contract_id`` is absent while the run belongs to no contract;
    assigning it is an update conditional on that absence.

    ``clone_status``: not_requested | pending | cloning | cloned | failed. ``cloning`` holds a lease
    (``clone_lease_until``) so one worker at a time talks to Studio about this run.
    """

    run_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    run_tag = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    start = UTCDateTimeAttribute(null=True)
    end = UTCDateTimeAttribute(null=True)
    self_paced = BooleanAttribute(default=False)
    live = BooleanAttribute(default=False)
    contract_id = NumberAttribute(null=True)
    # The courseware id whose attachment put this run in its contract (course, run or program).
    attached_via = UnicodeAttribute(null=True)
    product_id = NumberAttribute(null=True)
    source_run_id = UnicodeAttribute(null=True)
    clone_status = UnicodeAttribute(default="not_requested")
    clone_error = UnicodeAttribute(null=True)
    clone_attempts = NumberAttribute(default=0)
    clone_lease_until = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class ProgramItem(TableItem, discriminator="program"):
    """A catalog program: an ordered list of required courses."""

    program_id = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    course_ids = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UTCDateTimeAttribute()


class CoursewareLinkItem(TableItem, discriminator="courseware_link"):
    """Courseware (course, course run or program) attached to a contract, in the contract's partition."""

    contract_id = NumberAttribute()
    courseware_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # course | course_run | program
    runs_created = BooleanAttribute(default=True)
    attached_at = UTCDateTimeAttribute()


class ContractCourseItem(TableItem, discriminator="contract_course"):
    """Guard: the contract already has a run of this course (put with attribute_not_exists)."""

    contract_id = NumberAttribute()
    course_id = UnicodeAttribute()
    run_id = UnicodeAttribute()


class SsoSeenItem(TableItem, discriminator="sso_seen"):
    """The SSO organization ids a learner's identity provider named last, and their fingerprint
    (a conditional put on a different fingerprint tells a changed claim set in one write)."""

    user_id = UnicodeAttribute()
    organization_ids = ListAttribute(of=UnicodeAttribute, default=list)
    fingerprint = UnicodeAttribute()
    seen_at = UTCDateTimeAttribute()


class WebhookEventItem(TableItem, discriminator="webhook_event"):
    """A webhook event taken in (deduplication by the sender's event id). ``state`` is ``pending``
    while a delivery works on it (until ``lease_until``), then ``done``; TTL removes it later."""

    source = UnicodeAttribute()
    event_id = UnicodeAttribute()
    state = UnicodeAttribute()
    lease_until = NumberAttribute()
    received_at = UTCDateTimeAttribute()


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


class OrderItem(TableItem, discriminator="order"):
    """A priced checkout's order. Listed per learner on gsi1 and per state on gsi2 (by hold expiry)."""

    order_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    contract_id = NumberAttribute()
    product_id = NumberAttribute()
    run_id = UnicodeAttribute()
    code = UnicodeAttribute(null=True)  # absent: a member's order at the contract's price
    code_kind = UnicodeAttribute(null=True)
    amount = DecimalAttribute()
    currency = UnicodeAttribute()
    state = UnicodeAttribute()
    holds_seat = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    hold_until = NumberAttribute()
    order_reference = UnicodeAttribute(null=True)
    payment_reference = UnicodeAttribute(null=True)
    paid_amount = DecimalAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    fulfilled_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    refunded_at = UTCDateTimeAttribute(null=True)
    unfulfillable_reason = UnicodeAttribute(null=True)
    attached = BooleanAttribute(default=False)
    provider_session = UnicodeAttribute(null=True)
    terms_version = NumberAttribute(null=True)  # the contract's terms the order was priced at


class PendingOrderItem(TableItem, discriminator="pending_order"):
    """A learner's one pending order per contract; a new one may replace it once its hold expired."""

    order_id = UnicodeAttribute()
    hold_until = NumberAttribute()


class PaymentItem(TableItem, discriminator="payment"):
    """A payment reference, recorded once: the idempotency key of a payment confirmation."""

    order_id = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()


class LmsAccountItem(TableItem, discriminator="lms_account"):
    """A learner's LMS username, resolved once by email and kept in the learner's partition."""

    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    lms_username = UnicodeAttribute()
    resolved_at = UTCDateTimeAttribute()


class LearnerEmailItem(TableItem, discriminator="learner_email"):
    """A learner's email as an SSO sign-in or an operator gave it, in the learner's partition: enrollments
    made without a checkout (SSO, admin) find the learner's LMS account by it."""

    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    source = UnicodeAttribute()  # sso | admin
    recorded_at = UTCDateTimeAttribute()
