"""Checkout rules: quote a basket against a code, complete it exactly once, attach by code.

A learner who is not a member of a product's contract never checks it out without a valid code for
that product, even at $0. A member (attached by SSO, code or admin) enrolls in any of the contract's
runs without a code: free where the contract is free, at the contract's price otherwise (or the
code's price where they bring one). Prices are always the contract's terms at the version judged,
and the write is conditioned on that version (a concurrent change of terms makes it judge again).
Since a code belongs to one product, a basket that can be completed holds exactly one product.

Completing re-reads everything, then writes one transaction (code redeemed, seat + membership when
the learner is new to the contract, enrollment, audit, replayable response). When the transaction is
cancelled (a concurrent checkout won a race), the whole flow runs again on fresh, strongly consistent
reads, so the loser answers with the reason the new state gives (``code_already_used``,
``contract_full``...) instead of guessing it from the cancellation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from b2b.domain.enrollments import Enrollment
from b2b.domain.errors import B2BError, Conflict, ErrorDetail, Forbidden, NotFound, Throttled
from b2b.domain.model import Contract, Membership, MembershipType, Product
from b2b.domain.orders import SeatHolds


class Reason(StrEnum):
    """Why a basket line cannot be checked out (machine-readable)."""

    UNKNOWN_PRODUCT = "unknown_product"
    CODE_REQUIRED = "code_required"
    CODE_INVALID = "code_invalid"
    CODE_NOT_FOR_PRODUCT = "code_not_for_product"
    CODE_ALREADY_USED = "code_already_used"
    CONTRACT_NOT_OPEN = "contract_not_open"
    SSO_REQUIRED = "sso_required"
    CONTRACT_FULL = "contract_full"
    ALREADY_ENROLLED = "already_enrolled"


MESSAGES: dict[Reason, str] = {
    Reason.UNKNOWN_PRODUCT: "This product does not exist or is no longer sold.",
    Reason.CODE_REQUIRED: "This course is part of an organization's contract: enter your enrollment code.",
    Reason.CODE_INVALID: "This enrollment code is not valid.",
    Reason.CODE_NOT_FOR_PRODUCT: "This enrollment code is for another course of the contract.",
    Reason.CODE_ALREADY_USED: "This enrollment code has already been used.",
    Reason.CONTRACT_NOT_OPEN: "Enrollment through this contract is not open at the moment.",
    Reason.SSO_REQUIRED: "Sign in through your organization's login to use this code.",
    Reason.CONTRACT_FULL: "Every seat of this contract is taken.",
    Reason.ALREADY_ENROLLED: "You are already enrolled in this course.",
}
_SSO_CONTRACT_HINT = " Members of this organization get access by signing in through its login."

# Reasons that tell a code was wrong: they count as failed attempts (brute-force protection).
CODE_ATTEMPT_FAILURES = frozenset(
    {Reason.CODE_INVALID, Reason.CODE_NOT_FOR_PRODUCT, Reason.CODE_ALREADY_USED}
)

# The kind of error a failed complete (or attach) raises for this reason; any other is a conflict.
_ERROR_KIND: dict[Reason, type[B2BError]] = {
    Reason.UNKNOWN_PRODUCT: NotFound,
    Reason.CODE_INVALID: NotFound,
    Reason.SSO_REQUIRED: Forbidden,
}


@dataclass(frozen=True)
class CheckoutCode:
    """An enrollment code as checkout sees it."""

    code: str
    contract_id: int
    product_id: int
    kind: Literal["one_time", "unlimited"]
    status: str
    amount: Decimal
    valid_from: datetime | None
    valid_until: datetime | None
    redemptions: int
    redeemed_by: str | None
    terms_version: int = 0
    # The learner asking holds this code already (claimed it by attaching, or redeemed it).
    held_by_learner: bool = False

    def is_live(self, now: datetime) -> bool:
        """Not deactivated and inside its validity window (a redeemed one-time code is still live)."""
        if self.status not in {"available", "redeemed", "claimed"}:
            return False
        if self.valid_from is not None and now < self.valid_from:
            return False
        return not (self.valid_until is not None and now >= self.valid_until)

    @property
    def used_up(self) -> bool:
        return self.kind == "one_time" and self.status != "available"

    def sells_under(self, contract: Contract) -> bool:
        """False for a used unlimited code issued under older terms: it is retired in effect (the
        reconciler retires it and issues a new code), so it never sells at stale terms."""
        stale = self.terms_version != contract.terms_version
        return not (self.kind == "unlimited" and self.redemptions > 0 and stale)

    def price_under(self, contract: Contract) -> Decimal:
        """The code's fixed price when issued under the current terms, else the contract's price."""
        if self.terms_version == contract.terms_version:
            return self.amount
        return contract.price if contract.price is not None else Decimal(0)


@dataclass(frozen=True)
class Seats:
    taken: int
    cap: int | None
    held: int = 0  # seats held by other learners' pending orders (live holds only)
    counter: SeatHolds | None = None  # the counter as read: a seat-taking write is fenced on it

    @property
    def has_room(self) -> bool:
        return self.cap is None or self.taken + self.held < self.cap


@dataclass(frozen=True)
class StoredResult:
    """A completed checkout's receipt, kept for retries with the same Idempotency-Key."""

    request_hash: str
    receipt: dict[str, Any]


@dataclass(frozen=True)
class CheckoutState:
    """Everything one checkout decision needs, read in two BatchGetItem rounds."""

    products: dict[int, Product]
    code: CheckoutCode | None
    contracts: dict[int, Contract]
    seats: dict[int, Seats]
    member_of: frozenset[int]
    enrolled_runs: frozenset[str]
    # The organization named by the token's SSO claim (None: no claim, or no such organization).
    sso_organization: int | None
    failed_attempts: int = 0
    stored_result: StoredResult | None = None
    # Enrollments the learner ended (run id → the kept row): enrolling again is allowed.
    ended_enrollments: dict[str, Enrollment] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One basket line, priced and judged."""

    product_id: int
    product: Product | None
    list_price: Decimal
    price: Decimal
    reasons: tuple[Reason, ...]
    code_applies: bool
    message: str
    # The learner's own code (claimed or redeemed by them): a refusal of it is not guessing.
    own_code: bool = False
    # A member enrolling without a code.
    as_member: bool = False

    @property
    def valid(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Quote:
    lines: list[Line]
    code_given: bool

    @property
    def total(self) -> Decimal:
        return sum((line.price for line in self.lines), Decimal(0))

    @property
    def valid(self) -> bool:
        return all(line.valid for line in self.lines)

    @property
    def requires_payment(self) -> bool:
        return self.total > 0

    @property
    def failed_code_attempt(self) -> bool:
        """A code was given and no line accepted it because the code itself was wrong."""
        return (
            self.code_given
            and not any(line.code_applies for line in self.lines)
            and any(CODE_ATTEMPT_FAILURES & set(line.reasons) and not line.own_code for line in self.lines)
        )

    def first_failure(self) -> tuple[int, Line]:
        return next((i, line) for i, line in enumerate(self.lines) if not line.valid)


def _message(reasons: list[Reason], contract: Contract | None) -> str:
    if not reasons:
        return "Ready to check out."
    text = " ".join(MESSAGES[r] for r in reasons)
    if (
        Reason.CODE_REQUIRED in reasons
        and contract is not None
        and contract.membership_type is MembershipType.AUTO
        and not contract.is_priced
    ):
        text += _SSO_CONTRACT_HINT
    return text


def _code_reasons(
    code: CheckoutCode | None,
    contract: Contract,
    product: Product,
    now: datetime,
    *,
    code_given: bool,
    member: bool,
) -> tuple[list[Reason], bool, bool]:
    """What the basket's code says about one line: (reasons, whether the code applies, whether the
    learner goes in as a member without a code)."""
    if code is None:
        if code_given:
            return [Reason.CODE_INVALID], False, False
        return ([], False, True) if member else ([Reason.CODE_REQUIRED], False, False)
    if not code.is_live(now) or code.contract_id != contract.id or not code.sells_under(contract):
        # One answer for unknown, deactivated, retired, expired and other contracts' codes: no oracle.
        return [Reason.CODE_INVALID], False, False
    if code.product_id != product.id:
        return [Reason.CODE_NOT_FOR_PRODUCT], False, False
    if code.used_up:
        return [Reason.CODE_ALREADY_USED], False, False
    return [], True, False


def judge_line(product_id: int, state: CheckoutState, now: datetime, *, code_given: bool) -> Line:
    """Price one product for the signed-in learner with the basket's code, and list what blocks it."""
    product = state.products.get(product_id)
    contract = state.contracts.get(product.contract_id) if product is not None else None
    if product is None or contract is None or not product.active:
        reasons = [Reason.UNKNOWN_PRODUCT]
        return Line(
            product_id,
            None,
            Decimal(0),
            Decimal(0),
            (Reason.UNKNOWN_PRODUCT,),
            False,
            _message(reasons, None),
        )
    member = contract.id in state.member_of
    reasons, code_applies, as_member = _code_reasons(
        state.code, contract, product, now, code_given=code_given, member=member
    )
    code = state.code
    if not contract.is_open(now):
        reasons.append(Reason.CONTRACT_NOT_OPEN)
    if (
        contract.membership_type is MembershipType.MANAGED
        and state.sso_organization != contract.organization_id
    ):
        reasons.append(Reason.SSO_REQUIRED)
    seats = state.seats.get(contract.id, Seats(0, None))
    if not member and not seats.has_room:
        reasons.append(Reason.CONTRACT_FULL)
    if product.run_id in state.enrolled_runs:
        reasons.append(Reason.ALREADY_ENROLLED)
    if code_applies and code is not None:
        price = code.price_under(contract)
    elif as_member:
        price = contract.price if contract.price is not None else Decimal(0)
    else:
        price = product.price
    return Line(
        product.id,
        product,
        product.price,
        price,
        tuple(reasons),
        code_applies,
        _message(reasons, contract),
        own_code=code is not None and code.held_by_learner,
        as_member=as_member,
    )


def quote(product_ids: list[int], state: CheckoutState, now: datetime, *, code_given: bool) -> Quote:
    """Judge every line of a basket (a product listed twice is one line)."""
    unique_ids = list(dict.fromkeys(product_ids))
    return Quote(
        [judge_line(pid, state, now, code_given=code_given) for pid in unique_ids], code_given=code_given
    )


def attach_refusal(
    code: CheckoutCode | None, contract: Contract | None, sso_organization: int | None, now: datetime
) -> Reason | None:
    """Why a learner cannot attach by this code (None: they can, seats permitting).

    Every code the learner cannot use gets the one answer ``code_invalid``: unknown, deactivated,
    retired, expired or used, and also a code of a closed contract or of a managed contract of an organization
    the learner does not sign in with. Telling those apart would tell a stranger that the code exists
    and what kind of contract it belongs to.
    """
    if (
        code is None
        or contract is None
        or not code.is_live(now)
        or code.used_up
        or not code.sells_under(contract)
    ):
        return Reason.CODE_INVALID
    if not contract.is_open(now):
        return Reason.CODE_INVALID
    if contract.membership_type is MembershipType.MANAGED and sso_organization != contract.organization_id:
        return Reason.CODE_INVALID
    return None


def can_see(contract: Contract, state: CheckoutState, now: datetime) -> bool:
    """Whether the learner may learn anything about the contract: they are attached to it, hold one
    of its live codes (the request's), or sign in with its organization's SSO. (A deactivated or
    expired code shows nothing: otherwise it would answer differently from a made-up one.)"""
    return (
        contract.id in state.member_of
        or (state.code is not None and state.code.contract_id == contract.id and state.code.is_live(now))
        or state.sso_organization == contract.organization_id
    )


def conceal(q: Quote, state: CheckoutState, now: datetime) -> Quote:
    """The quote as the learner may see it: each line of a contract they cannot see reads exactly as
    an unknown product (no contract, run, price or reason of it shows)."""
    lines = [
        line
        if line.product is None
        or line.product.run_id in state.enrolled_runs
        or (
            line.product.contract_id in state.contracts
            and can_see(state.contracts[line.product.contract_id], state, now)
        )
        else _unknown_line(line.product_id)
        for line in q.lines
    ]
    return Quote(lines, code_given=q.code_given)


def _unknown_line(product_id: int) -> Line:
    reasons = [Reason.UNKNOWN_PRODUCT]
    return Line(product_id, None, Decimal(0), Decimal(0), tuple(reasons), False, _message(reasons, None))


def probes_unknown_products(q: Quote) -> bool:
    """True when a line reads as an unknown product: such a request counts as a failed attempt, so
    walking product ids is throttled like guessing codes."""
    return any(Reason.UNKNOWN_PRODUCT in line.reasons for line in q.lines)


def rejection(reason: Reason, message: str, details: list[ErrorDetail] | None = None) -> B2BError:
    """The error a failed complete or attach raises (its kind chosen by the reason)."""
    error_type = _ERROR_KIND.get(reason, Conflict)
    return error_type(message=message, details=details or [], code=reason.value)


def request_hash(product_ids: list[int], code: str | None, order_reference: str | None) -> str:
    """Fingerprint of a complete request, so a reused Idempotency-Key with another body is refused."""
    canonical = json.dumps([sorted(set(product_ids)), code, order_reference], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CheckoutPlan:
    """The writes of one completed checkout (one product, one code)."""

    user_id: str
    product: Product
    contract: Contract  # as judged: its ``terms_version`` fences the write
    code: CheckoutCode | None  # None: a member enrolling without a code
    attach: Membership | None  # None: the learner is already attached (no new seat)
    now: datetime
    order_reference: str | None
    idempotency_key: str | None
    request_hash: str
    receipt: dict[str, Any]
    # The learner's earlier, ended enrollment in the run: kept as history, replaced by the new one.
    ended_enrollment: Enrollment | None = None
    seats: SeatHolds | None = None  # the seat counter as read (None: read when writing)
    email: str | None = None


@dataclass(frozen=True)
class AttachPlan:
    user_id: str
    code: CheckoutCode
    membership: Membership
    now: datetime
    contract: Contract  # as judged: its ``terms_version`` fences the write
    seats: SeatHolds | None = None


def line_view(line: Line) -> dict[str, Any]:
    """A priced line as a plain record (the receipt's and the quote's shape)."""
    return {
        "product_id": line.product_id,
        "contract_id": line.product.contract_id if line.product else None,
        "run_id": line.product.run_id if line.product else None,
        "list_price": str(line.list_price),
        "price": str(line.price),
        "valid": line.valid,
        "reasons": [r.value for r in line.reasons],
        "message": line.message,
    }


def quote_view(q: Quote) -> dict[str, Any]:
    """A quote as a plain record: lines, total, whether payment is needed."""
    return {
        "valid": q.valid,
        "lines": [line_view(line) for line in q.lines],
        "total": str(q.total),
        "requires_payment": q.requires_payment,
    }


def check_throttle(state: CheckoutState, limit: int, retry_after: int) -> None:
    """Refuse while the learner is past the failed-attempt limit of the current window."""
    if state.failed_attempts >= limit:
        raise Throttled(
            "too many wrong enrollment codes; wait before trying again",
            code="too_many_code_attempts",
            retry_after_seconds=max(1, retry_after),
        )
