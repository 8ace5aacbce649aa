"""Checkout data access: the two read rounds, the checkout and attach transactions, failed-attempt windows.

Reads are strongly consistent BatchGetItems: round one by keys the request names (products, code,
failed-attempt window, stored response), round two by keys round one revealed (contracts, seat
counters, memberships, enrollments, the SSO organization alias).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from b2b.db import keys
from b2b.db.code_counters import add_counter_update
from b2b.db.codes import status_actions
from b2b.db.contracts import to_contract
from b2b.db.enrollments import to_enrollment
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.memberships import add_attach_operations, seat_holds
from b2b.db.models import (
    AuditItem,
    CheckoutResultItem,
    CodeAttemptsItem,
    ContractItem,
    EnrollmentCodeItem,
    EnrollmentHistoryItem,
    EnrollmentItem,
    MembershipItem,
    OrganizationItem,
    ProductItem,
    SeatCounterItem,
)
from b2b.db.products import to_product
from b2b.db.table import TableItem
from b2b.db.transactions import TRANSACTION_CONFLICT, Transaction, TransactionCancelled
from b2b.domain.checkout_rules import (
    AttachPlan,
    CheckoutCode,
    CheckoutPlan,
    CheckoutState,
    Seats,
    StoredResult,
)
from b2b.domain.enrollments import Enrollment
from b2b.domain.model import Contract, Product
from b2b.domain.reconcile import CodeStatus

# BatchGetItem reads at most 100 keys; the checkout API caps baskets well below that.
_BATCH_LIMIT = 100

Key = tuple[str, str]


class CheckoutCollided(Exception):
    """The transaction was cancelled by a concurrent change: read again and decide again."""

    def __init__(self, reasons: dict[str, str]) -> None:
        super().__init__(f"checkout transaction cancelled: {reasons}")
        self.failed = frozenset(reasons)
        # Another transaction held the same items (real DynamoDB only): worth a short pause.
        self.conflicted = TRANSACTION_CONFLICT in reasons.values()


def batch_read(wanted: Iterable[Key]) -> dict[Key, TableItem]:
    """Strongly consistent BatchGetItem of up to 100 keys (missing items are absent from the answer)."""
    unique = list(dict.fromkeys(wanted))
    if not unique:
        return {}
    if len(unique) > _BATCH_LIMIT:
        raise ValueError("too many keys for one batch read")
    found: dict[Key, TableItem] = {}
    with translate_errors():
        for item in TableItem.batch_get(unique, consistent_read=True):
            found[(item.pk, item.sk)] = item
    return found


def window_index(now: datetime, window_seconds: int) -> int:
    return int(now.timestamp()) // window_seconds


def _to_code(item: EnrollmentCodeItem, user_id: str, now: datetime | None = None) -> CheckoutCode:
    # A one-time code claimed by another learner (they attached with it), or reserved for another
    # learner's pending order, is used, as far as this learner can tell.
    claimed_by_other = item.kind == "one_time" and (
        item.claimed_by not in (None, user_id) or reserved_for_other(item, user_id, now)
    )
    return CheckoutCode(
        code=item.code,
        contract_id=int(item.contract_id),
        product_id=int(item.product_id),
        kind="unlimited" if item.kind == "unlimited" else "one_time",
        status="claimed" if claimed_by_other and item.status == "available" else item.status,
        amount=item.amount,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        redemptions=int(item.redemptions or 0),
        redeemed_by=item.redeemed_by,
        terms_version=int(item.terms_version or 0),
        held_by_learner=user_id in (item.claimed_by, item.redeemed_by),
    )


def reserved_for_other(item: EnrollmentCodeItem, user_id: str, now: datetime | None) -> bool:
    """A pending order of another learner reserves this code (until its hold expires)."""
    if item.reserved_by in (None, user_id) or item.reserved_until is None or now is None:
        return False
    return int(item.reserved_until) > int(now.timestamp())


def not_reserved_for_other(user_id: str, now: datetime) -> Any:
    """Condition: no other learner's pending order holds the code."""
    return (
        EnrollmentCodeItem.reserved_by.does_not_exist()
        | (EnrollmentCodeItem.reserved_by == user_id)
        | (EnrollmentCodeItem.reserved_until <= int(now.timestamp()))
    )


def load_state(
    *,
    user_id: str,
    product_ids: list[int],
    code: str | None,
    sso_claim: str | None,
    now: datetime,
    window_seconds: int,
    idempotency_key: str | None = None,
    extra_contract_ids: Iterable[int] = (),
    extra_product_ids: Iterable[int] = (),
) -> CheckoutState:
    """Read what a checkout or an attach decides on: two BatchGetItem requests (one when nothing to follow).

    ``extra_contract_ids`` and ``extra_product_ids`` join the second round (an attach names the
    code's contract and product once the first round has found the code).
    """
    attempts_key = (keys.code_attempts_pk(user_id), keys.code_attempts_sk(window_index(now, window_seconds)))
    first: list[Key] = [(keys.product_pk(pid), keys.PRODUCT_SK) for pid in product_ids]
    if code is not None:
        first += [(keys.code_pk(code), keys.CODE_SK), attempts_key]
    result_key = None
    if idempotency_key is not None:
        result_key = (keys.checkout_result_pk(user_id, idempotency_key), keys.CHECKOUT_RESULT_SK)
        first.append(result_key)
    round_one = batch_read(first)

    stored = round_one.get(result_key) if result_key else None
    if isinstance(stored, CheckoutResultItem):
        return CheckoutState(
            products={},
            code=None,
            contracts={},
            seats={},
            member_of=frozenset(),
            enrolled_runs=frozenset(),
            sso_organization=None,
            stored_result=_stored(stored),
        )
    products = {
        int(item.product_id): to_product(item) for item in round_one.values() if isinstance(item, ProductItem)
    }
    code_item = round_one.get((keys.code_pk(code), keys.CODE_SK)) if code is not None else None
    found_code = _to_code(code_item, user_id, now) if isinstance(code_item, EnrollmentCodeItem) else None
    attempts_item = round_one.get(attempts_key)
    failed_attempts = int(attempts_item.attempts) if isinstance(attempts_item, CodeAttemptsItem) else 0

    contract_ids = {p.contract_id for p in products.values()} | set(extra_contract_ids)
    round_two = batch_read(
        _second_round_keys(user_id, contract_ids, products, sso_claim, list(extra_product_ids))
    )
    return _learner_side(round_two, products, found_code, failed_attempts, user_id=user_id, now=now)


def _second_round_keys(
    user_id: str,
    contract_ids: set[int],
    products: dict[int, Product],
    sso_claim: str | None,
    extra_product_ids: list[int],
) -> list[Key]:
    """The contracts the first round named: each one, its seats and the learner's membership; the
    learner's enrollments in the products' runs; products named late (an attach's code's product);
    the SSO organization the token names."""
    second: list[Key] = []
    for cid in sorted(contract_ids):
        second += [
            (keys.contract_pk(cid), keys.CONTRACT_SK),
            (keys.contract_pk(cid), keys.SEATS_SK),
            (keys.contract_pk(cid), keys.membership_sk(user_id)),
        ]
    second += [(keys.user_pk(user_id), keys.enrollment_sk(p.run_id)) for p in products.values()]
    second += [(keys.product_pk(pid), keys.PRODUCT_SK) for pid in extra_product_ids]
    if sso_claim and contract_ids:
        second.append((keys.org_sso_pk(sso_claim), keys.ORG_SK))
    return second


def _learner_side(
    round_two: dict[Key, TableItem],
    products: dict[int, Product],
    found_code: CheckoutCode | None,
    failed_attempts: int,
    *,
    user_id: str,
    now: datetime,
) -> CheckoutState:
    """The checkout state, from the first round's products and code and the second round's items."""
    contracts, seats, member_of, enrolled, sso_org = {}, {}, set(), set(), None
    ended: dict[str, Enrollment] = {}
    for item in round_two.values():
        if isinstance(item, ContractItem):
            contracts[int(item.contract_id)] = to_contract(item)
        elif isinstance(item, SeatCounterItem):
            counter = seat_holds(item)  # seats held by others' pending orders count as taken
            seats[int(item.contract_id)] = Seats(
                counter.taken, counter.cap, counter.held(now, user_id), counter
            )
        elif isinstance(item, MembershipItem):
            member_of.add(int(item.contract_id))
        elif isinstance(item, EnrollmentItem):
            if item.status == "active":
                enrolled.add(item.run_id)
            else:
                ended[item.run_id] = to_enrollment(item)
        elif isinstance(item, OrganizationItem):
            sso_org = int(item.org_id)
        elif isinstance(item, ProductItem):
            products[int(item.product_id)] = to_product(item)
    return CheckoutState(
        products=products,
        code=found_code,
        contracts=contracts,
        seats=seats,
        member_of=frozenset(member_of),
        enrolled_runs=frozenset(enrolled),
        sso_organization=sso_org,
        failed_attempts=failed_attempts,
        ended_enrollments=ended,
    )


def record_failed_attempt(user_id: str, now: datetime, window_seconds: int, limit: int) -> bool:
    """Count one failed code attempt in the learner's current window (one conditional UpdateItem).

    Returns False when the learner had already reached ``limit`` in this window (nothing counted).
    """
    index = window_index(now, window_seconds)
    window_end = (index + 1) * window_seconds
    item = CodeAttemptsItem(pk=keys.code_attempts_pk(user_id), sk=keys.code_attempts_sk(index))
    try:
        item.update(
            actions=[
                CodeAttemptsItem.entity.set(CodeAttemptsItem),
                CodeAttemptsItem.user_id.set(user_id),
                CodeAttemptsItem.attempts.add(1),
                CodeAttemptsItem.window_ends_at.set(window_end),
                # Kept one window past its end, then DynamoDB's TTL removes it.
                CodeAttemptsItem.expires_at.set(window_end + window_seconds),
            ],
            condition=CodeAttemptsItem.attempts.does_not_exist() | (CodeAttemptsItem.attempts < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code == CONDITION_FAILED:
            return False
        with translate_errors():
            raise
    return True


def _audit(
    action: str,
    *,
    actor: str,
    contract_id: int,
    now: datetime,
    source: str,
    product_id: int | None = None,
    code: str | None = None,
    reference: str | None = None,
) -> AuditItem:
    return AuditItem(
        pk=keys.contract_pk(contract_id),
        sk=keys.audit_sk(now.isoformat(), uuid.uuid4().hex[:12]),
        action=action,
        actor=actor,
        contract_id=contract_id,
        product_id=product_id,
        code=code,
        source=source,
        reference=reference,
        at=now,
    )


def _redeem_code(tx: Transaction, code: CheckoutCode, user_id: str, now: datetime) -> None:
    item = EnrollmentCodeItem(pk=keys.code_pk(code.code), sk=keys.CODE_SK)
    same_code = (
        (EnrollmentCodeItem.status == "available")
        & (EnrollmentCodeItem.contract_id == code.contract_id)
        & (EnrollmentCodeItem.product_id == code.product_id)
        & _same_terms_version(EnrollmentCodeItem.terms_version, code.terms_version)
    )
    if code.kind == "one_time":
        tx.update(
            "code",
            item,
            [
                # The status and its by-status index key move together (see db.codes.status_actions).
                *status_actions(code.contract_id, CodeStatus.REDEEMED),
                EnrollmentCodeItem.redemptions.add(1),
                EnrollmentCodeItem.redeemed_by.set(user_id),
                EnrollmentCodeItem.redeemed_at.set(now),
            ],
            same_code
            & (EnrollmentCodeItem.kind == "one_time")
            & (EnrollmentCodeItem.claimed_by.does_not_exist() | (EnrollmentCodeItem.claimed_by == user_id))
            & not_reserved_for_other(user_id, now),
        )
        add_counter_update(tx, "counter", code.contract_id, code.product_id, available=-1, redeemed=1)
    else:
        tx.update(
            "code",
            item,
            [EnrollmentCodeItem.redemptions.add(1)],
            same_code & (EnrollmentCodeItem.kind == "unlimited"),
        )
        add_counter_update(tx, "counter", code.contract_id, code.product_id, unlimited_uses=1)


def _same_terms_version(attribute: Any, version: int) -> Any:
    """``attribute`` still holds ``version`` (an absent attribute reads as version 0)."""
    if version == 0:
        return attribute.does_not_exist() | (attribute == 0)
    return attribute == version


def _contract_as_judged(tx: Transaction, contract: Contract) -> None:
    """The contract is still active and under the terms the decision was made with."""
    tx.condition_check(
        "contract",
        ContractItem,
        keys.contract_pk(contract.id),
        keys.CONTRACT_SK,
        (ContractItem.active == True)  # noqa: E712 - a PynamoDB condition, not a comparison
        & _same_terms_version(ContractItem.terms_version, contract.terms_version),
    )


def _enrollment_writes(tx: Transaction, plan: CheckoutPlan) -> None:
    """Put the enrollment: new, or replacing the learner's ended one (kept as a history item)."""
    enrollment = EnrollmentItem(
        pk=keys.user_pk(plan.user_id),
        sk=keys.enrollment_sk(plan.product.run_id),
        user_id=plan.user_id,
        run_id=plan.product.run_id,
        contract_id=plan.contract.id,
        product_id=plan.product.id,
        source="checkout",
        status="active",
        enrolled_at=plan.now,
        email=plan.email,
    )
    ended = plan.ended_enrollment
    if ended is None:
        tx.put("enrollment", enrollment, EnrollmentItem.pk.does_not_exist())
        return
    # Only the ended enrollment that was read may be replaced (a concurrent re-enrollment wins once).
    tx.put(
        "enrollment",
        enrollment,
        (EnrollmentItem.status == "unenrolled") & (EnrollmentItem.enrolled_at == ended.enrolled_at),
    )
    history = EnrollmentHistoryItem(
        pk=keys.user_pk(plan.user_id),
        sk=keys.enrollment_history_sk(ended.run_id, ended.enrolled_at.isoformat()),
        user_id=ended.user_id,
        run_id=ended.run_id,
        contract_id=ended.contract_id,
        product_id=ended.product_id,
        source=ended.source,
        status=ended.status,
        enrolled_at=ended.enrolled_at,
        replaced_at=plan.now,
    )
    tx.put("enrollment_history", history, EnrollmentHistoryItem.pk.does_not_exist())


def checkout_transaction(plan: CheckoutPlan) -> Transaction:
    """The one transaction of a completed checkout (built, not sent: the benchmark reuses it).

    Fenced on what was judged: the contract's terms version (and active flag), the code's state
    and terms version, the seat cap or the existing membership, and the enrollment as read.
    """
    tx = Transaction()
    contract_id = plan.contract.id
    _contract_as_judged(tx, plan.contract)
    if plan.code is not None:
        _redeem_code(tx, plan.code, plan.user_id, plan.now)
    if plan.attach is not None:
        add_attach_operations(tx, plan.attach, plan.seats, plan.now)
        tx.put(
            "audit_attach",
            _audit(
                "learner_attached",
                actor=plan.user_id,
                contract_id=contract_id,
                now=plan.now,
                source="checkout",
                code=plan.code.code if plan.code is not None else None,
                reference=plan.order_reference,
            ),
        )
    else:
        tx.condition_check(
            "member",
            MembershipItem,
            keys.contract_pk(contract_id),
            keys.membership_sk(plan.user_id),
            MembershipItem.pk.exists(),
        )
    _enrollment_writes(tx, plan)
    tx.put(
        "audit_redeem" if plan.code is not None else "audit_enroll",
        _audit(
            "code_redeemed" if plan.code is not None else "member_enrolled",
            actor=plan.user_id,
            contract_id=contract_id,
            now=plan.now,
            source="checkout",
            product_id=plan.product.id,
            code=plan.code.code if plan.code is not None else None,
            reference=plan.order_reference,
        ),
    )
    if plan.idempotency_key is not None:
        result = CheckoutResultItem(
            pk=keys.checkout_result_pk(plan.user_id, plan.idempotency_key),
            sk=keys.CHECKOUT_RESULT_SK,
            user_id=plan.user_id,
            request_hash=plan.request_hash,
            # Canonical JSON: a replay reads back exactly the receipt the first answer was made from.
            body=json.dumps(plan.receipt, separators=(",", ":")),
            created_at=plan.now,
            expires_at=int(plan.now.timestamp()) + _result_ttl(),
        )
        tx.put("result", result, CheckoutResultItem.pk.does_not_exist())
    return tx


def _result_ttl() -> int:
    from b2b.settings import get_settings  # noqa: PLC0415 - read when a checkout is written, not at import

    return get_settings().idempotency_ttl_seconds


def commit_checkout(plan: CheckoutPlan) -> None:
    """Send the checkout transaction; raises :class:`CheckoutCollided` with the failed labels."""
    _commit(checkout_transaction(plan))


def commit_attach(plan: AttachPlan) -> None:
    """Attach a learner by code: seat, membership, audit, and the code still usable.

    A one-time code is claimed by the learner who attaches with it (``claimed_by``), so it attaches
    one learner only; it stays available for that learner's own checkout. An unlimited code is only
    checked.
    """
    tx = Transaction()
    usable = (
        (EnrollmentCodeItem.status == "available")
        & (EnrollmentCodeItem.contract_id == plan.code.contract_id)
        & _same_terms_version(EnrollmentCodeItem.terms_version, plan.code.terms_version)
    )
    code_key = keys.code_pk(plan.code.code)
    if plan.code.kind == "one_time":
        tx.update(
            "code",
            EnrollmentCodeItem(pk=code_key, sk=keys.CODE_SK),
            [EnrollmentCodeItem.claimed_by.set(plan.user_id)],
            usable
            & (EnrollmentCodeItem.kind == "one_time")
            & (
                EnrollmentCodeItem.claimed_by.does_not_exist()
                | (EnrollmentCodeItem.claimed_by == plan.user_id)
            )
            & not_reserved_for_other(plan.user_id, plan.now),
        )
    else:
        tx.condition_check("code", EnrollmentCodeItem, code_key, keys.CODE_SK, usable)
    _contract_as_judged(tx, plan.contract)
    # The code's product is still in the contract (a detached product's codes attach no one).
    tx.condition_check(
        "product",
        ProductItem,
        keys.product_pk(plan.code.product_id),
        keys.PRODUCT_SK,
        (ProductItem.active == True) & (ProductItem.contract_id == plan.code.contract_id),  # noqa: E712
    )
    add_attach_operations(tx, plan.membership, plan.seats, plan.now)
    tx.put(
        "audit_attach",
        _audit(
            "learner_attached",
            actor=plan.user_id,
            contract_id=plan.code.contract_id,
            now=plan.now,
            source="attach_by_code",
            product_id=plan.code.product_id,
            code=plan.code.code,
        ),
    )
    _commit(tx)


def _commit(tx: Transaction) -> None:
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        raise CheckoutCollided(cancelled.reasons) from cancelled


def get_stored_result(user_id: str, idempotency_key: str) -> StoredResult | None:
    """The stored response of a completed checkout (one GetItem)."""
    found = batch_read([(keys.checkout_result_pk(user_id, idempotency_key), keys.CHECKOUT_RESULT_SK)])
    item = next(iter(found.values()), None)
    if not isinstance(item, CheckoutResultItem):
        return None
    return _stored(item)


def _stored(item: CheckoutResultItem) -> StoredResult:
    return StoredResult(item.request_hash, json.loads(item.body))
