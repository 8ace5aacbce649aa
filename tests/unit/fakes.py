"""In-memory stand-ins for the adapters checkout and SSO attachment use (see the services' Protocols).

Each fake keeps plain dictionaries and applies a write all at once or not at all, with the same
conditions the DynamoDB transactions carry, so the services' orchestration (deciding again after a
lost race, replays, retries, hand-offs) can be tested without moto. Tests look at the dictionaries to
check what was written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from b2b.db.checkout import CheckoutCollided
from b2b.db.memberships import AttachOutcome
from b2b.db.orders import IdempotencyRecord, OrderCollided
from b2b.db.sso_logins import LoginState, Unchanged
from b2b.domain.checkout_rules import (
    AttachPlan,
    CheckoutCode,
    CheckoutPlan,
    CheckoutState,
    Seats,
    StoredResult,
)
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import (
    Contract,
    Membership,
    MembershipSource,
    MembershipType,
    Organization,
    Page,
    Product,
    SeenOrganizations,
)
from b2b.domain.orders import Hold, Order, SeatHolds
from b2b.queues import SsoAttachRequest

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"


def make_contract(contract_id: int, organization_id: int = 1, **changes: object) -> Contract:
    base = Contract(
        id=contract_id,
        organization_id=organization_id,
        name=f"Contract {contract_id}",
        slug=f"contract-{contract_id}",
        description="",
        membership_type=MembershipType.CODE,
        start=None,
        end=None,
        active=True,
        max_learners=None,
        price=None,
        welcome_message="",
        created_at=T0,
        updated_at=T0,
        version=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def make_product(product_id: int, contract_id: int, price: str = "0") -> Product:
    return Product(
        id=product_id,
        contract_id=contract_id,
        run_id=f"course-v1:UAI+C{product_id}+R",
        course_id=f"course-v1:UAI+C{product_id}",
        title=f"Course {product_id}",
        price=Decimal(price),
        active=True,
        created_at=T0,
    )


def make_organization(org_id: int, sso_id: str | None = None) -> Organization:
    return Organization(
        id=org_id,
        name=f"Org {org_id}",
        slug=f"org-{org_id}",
        org_key=f"ORG{org_id}",
        org_key_prefix=f"O{org_id}_",
        sso_organization_id=sso_id,
        description="",
        created_at=T0,
        updated_at=T0,
        version=1,
    )


# --- checkout -----------------------------------------------------------------------------------


@dataclass
class StoredCode:
    code: str
    contract_id: int
    product_id: int
    kind: str = "one_time"
    status: str = "available"
    amount: Decimal = Decimal(0)
    redemptions: int = 0
    redeemed_by: str | None = None
    claimed_by: str | None = None
    reserved_by: str | None = None  # a pending order's learner, until ``reserved_until``
    reserved_until: int | None = None


@dataclass
class FakeCheckoutStore:
    """The checkout store over dictionaries (:class:`b2b.services.checkout.CheckoutStore`)."""

    CheckoutCollided = CheckoutCollided

    products: dict[int, Product] = field(default_factory=dict)
    contracts: dict[int, Contract] = field(default_factory=dict)
    caps: dict[int, int | None] = field(default_factory=dict)
    taken: dict[int, int] = field(default_factory=dict)
    codes: dict[str, StoredCode] = field(default_factory=dict)
    members: set[tuple[int, str]] = field(default_factory=set)
    enrollments: set[tuple[str, str]] = field(default_factory=set)
    failed_attempts: dict[str, int] = field(default_factory=dict)
    results: dict[tuple[str, str], StoredResult] = field(default_factory=dict)
    # Seat holds of pending orders per contract (learner -> hold), and their version
    holds: dict[int, dict[str, Hold]] = field(default_factory=dict)
    holds_version: dict[int, int] = field(default_factory=dict)
    # Called between the read and the write of each commit: a test plays a rival request here.
    before_commit: Callable[[], None] | None = None
    # Cancel this many commits as DynamoDB does when another transaction holds the same items.
    conflicts_to_inject: int = 0
    loads: int = 0
    commits: int = 0

    def add_contract(self, contract: Contract) -> None:
        self.contracts[contract.id] = contract
        self.caps[contract.id] = contract.max_learners
        self.taken.setdefault(contract.id, 0)

    # What the service reads ---------------------------------------------------------------------

    def load_state(
        self,
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
        self.loads += 1
        stored = self.results.get((user_id, idempotency_key)) if idempotency_key else None
        if stored is not None:
            return CheckoutState({}, None, {}, {}, frozenset(), frozenset(), None, stored_result=stored)
        products = {
            pid: self.products[pid] for pid in [*product_ids, *extra_product_ids] if pid in self.products
        }
        found = self._checkout_code(self.codes[code], user_id) if code in self.codes else None
        contract_ids = {p.contract_id for p in products.values()} | set(extra_contract_ids)
        return CheckoutState(
            products=products,
            code=found,
            contracts={c: self.contracts[c] for c in contract_ids if c in self.contracts},
            seats={c: self._seats(c, user_id, now) for c in contract_ids if c in self.contracts},
            member_of=frozenset(c for c in contract_ids if (c, user_id) in self.members),
            enrolled_runs=frozenset(
                p.run_id for p in products.values() if (user_id, p.run_id) in self.enrollments
            ),
            sso_organization=None,
            failed_attempts=self.failed_attempts.get(user_id, 0),
        )

    def seat_holds(self, contract_id: int) -> SeatHolds:
        return SeatHolds(
            self.taken[contract_id],
            self.caps[contract_id],
            dict(self.holds.get(contract_id, {})),
            self.holds_version.get(contract_id, 0),
        )

    def _seats(self, contract_id: int, user_id: str, now: datetime) -> Seats:
        counter = self.seat_holds(contract_id)
        held = counter.held(now, excluding_user=user_id)
        return Seats(self.taken[contract_id], self.caps[contract_id], held, counter)

    @staticmethod
    def _checkout_code(stored: StoredCode, user_id: str) -> CheckoutCode:
        claimed_by_other = stored.kind == "one_time" and stored.claimed_by not in (None, user_id)
        return CheckoutCode(
            code=stored.code,
            contract_id=stored.contract_id,
            product_id=stored.product_id,
            kind="unlimited" if stored.kind == "unlimited" else "one_time",
            status="claimed" if claimed_by_other and stored.status == "available" else stored.status,
            amount=stored.amount,
            valid_from=None,
            valid_until=None,
            redemptions=stored.redemptions,
            redeemed_by=stored.redeemed_by,
        )

    def record_failed_attempt(self, user_id: str, now: datetime, window_seconds: int, limit: int) -> bool:
        if self.failed_attempts.get(user_id, 0) >= limit:
            return False
        self.failed_attempts[user_id] = self.failed_attempts.get(user_id, 0) + 1
        return True

    def get_stored_result(self, user_id: str, idempotency_key: str) -> StoredResult | None:
        return self.results.get((user_id, idempotency_key))

    # What the service writes: all or nothing, under the transactions' conditions ----------------

    def _start_commit(self) -> None:
        self.commits += 1
        if self.before_commit is not None:
            self.before_commit()
        if self.conflicts_to_inject:
            self.conflicts_to_inject -= 1
            raise CheckoutCollided({"code": TRANSACTION_CONFLICT})

    def _seat_failures(self, membership: Membership | None, user_id: str, contract_id: int) -> dict[str, str]:
        if membership is None:
            return {} if (contract_id, user_id) in self.members else {"member": CONDITION_FAILED}
        failed = {}
        cap = self.caps[contract_id]
        if cap is not None and self.taken[contract_id] >= cap:
            failed["seat"] = CONDITION_FAILED
        if (contract_id, user_id) in self.members:
            failed["membership"] = CONDITION_FAILED
        return failed

    def commit_checkout(self, plan: CheckoutPlan) -> None:
        self._start_commit()
        stored = self.codes[plan.code.code]
        failed = self._seat_failures(plan.attach, plan.user_id, plan.contract.id)
        usable = stored.status == "available" and stored.kind == plan.code.kind
        if not usable or (stored.kind == "one_time" and stored.claimed_by not in (None, plan.user_id)):
            failed["code"] = CONDITION_FAILED
        if (plan.user_id, plan.product.run_id) in self.enrollments:
            failed["enrollment"] = CONDITION_FAILED
        if plan.idempotency_key is not None and (plan.user_id, plan.idempotency_key) in self.results:
            failed["result"] = CONDITION_FAILED
        if failed:
            raise CheckoutCollided(failed)
        stored.redemptions += 1
        if stored.kind == "one_time":
            stored.status, stored.redeemed_by = "redeemed", plan.user_id
        if plan.attach is not None:
            self.taken[plan.contract.id] += 1
            self.members.add((plan.contract.id, plan.user_id))
        self.enrollments.add((plan.user_id, plan.product.run_id))
        if plan.idempotency_key is not None:
            self.results[(plan.user_id, plan.idempotency_key)] = StoredResult(plan.request_hash, plan.receipt)

    def commit_attach(self, plan: AttachPlan) -> None:
        self._start_commit()
        stored = self.codes[plan.code.code]
        failed = self._seat_failures(plan.membership, plan.user_id, plan.code.contract_id)
        if stored.status != "available" or stored.claimed_by not in (None, plan.user_id):
            failed["code"] = CONDITION_FAILED
        if failed:
            raise CheckoutCollided(failed)
        if stored.kind == "one_time":
            stored.claimed_by = plan.user_id
        self.taken[plan.code.contract_id] += 1
        self.members.add((plan.code.contract_id, plan.user_id))


# --- orders -------------------------------------------------------------------------------------


@dataclass
class FakeOrdersStore:
    """The orders store over the checkout store's dictionaries (what ``open_for_checkout`` uses):
    opening an order holds the seat and reserves the one-time code, all or nothing."""

    checkout: FakeCheckoutStore
    OrderCollided = OrderCollided
    IdempotencyRecord = IdempotencyRecord

    orders: dict[str, Order] = field(default_factory=dict)
    pending: dict[tuple[str, int], Order] = field(default_factory=dict)

    def new_order_id(self) -> str:
        return f"ord_{len(self.orders) + 1}"

    def open_order(
        self, order: Order, seats: SeatHolds | None, now: datetime, record: IdempotencyRecord | None = None
    ) -> None:
        store, epoch = self.checkout, int(now.timestamp())
        failed: dict[str, str] = {}
        if order.holds_seat:
            assert seats is not None
            current = store.seat_holds(order.contract_id)
            if current.version != seats.version or not current.room_for_one(
                now, excluding_user=order.user_id
            ):
                failed["seat"] = CONDITION_FAILED
        if order.code is None:
            if (order.contract_id, order.user_id) not in store.members:
                failed["member"] = CONDITION_FAILED
        else:
            code = store.codes[order.code]
            usable = code.status == "available" and code.product_id == order.product_id
            held_by_other = (
                code.reserved_by not in (None, order.user_id) and (code.reserved_until or 0) > epoch
            )
            if not usable or (code.kind == "one_time" and held_by_other):
                failed["code"] = CONDITION_FAILED
        live = self.pending.get((order.user_id, order.contract_id))
        if live is not None and live.hold_until > epoch:
            failed["pending"] = CONDITION_FAILED
        if failed:
            raise OrderCollided(failed)
        if order.holds_seat:
            store.holds.setdefault(order.contract_id, {})[order.user_id] = Hold(order.id, order.hold_until)
            store.holds_version[order.contract_id] = store.holds_version.get(order.contract_id, 0) + 1
        if order.code is not None and order.code_kind == "one_time":
            code = store.codes[order.code]
            code.reserved_by, code.reserved_until = order.user_id, order.hold_until
        self.orders[order.id] = order
        self.pending[(order.user_id, order.contract_id)] = order
        if record is not None:
            store.results[(order.user_id, record.key)] = StoredResult(record.request_hash, record.receipt)

    def pending_order_id(self, user_id: str, contract_id: int, now: datetime) -> str | None:
        order = self.pending.get((user_id, contract_id))
        return order.id if order is not None and order.hold_until > int(now.timestamp()) else None

    def get_order(self, order_id: str) -> Order:
        if order_id not in self.orders:
            raise NotFound(f"order {order_id} does not exist", code="order_not_found")
        return self.orders[order_id]


# --- SSO ----------------------------------------------------------------------------------------


@dataclass
class FakeSsoStore:
    """The SSO store over dictionaries (:class:`b2b.services.sso.SsoStore`). Thread-safe: the
    service runs a login's calls concurrently."""

    organizations: dict[str, Organization] = field(default_factory=dict)  # by SSO id
    contracts: dict[int, Contract] = field(default_factory=dict)
    caps: dict[int, int | None] = field(default_factory=dict)
    memberships: dict[tuple[int, str], MembershipSource] = field(default_factory=dict)
    seen: dict[str, frozenset[str]] = field(default_factory=dict)
    refusals: list[tuple[int, str, str]] = field(default_factory=list)
    handed_off: list[SsoAttachRequest] = field(default_factory=list)
    attach_calls: int = 0
    markers_written_with_attach: int = 0
    # A test makes a call slow or failing here (by method name).
    delays: dict[str, float] = field(default_factory=dict)
    failures: dict[str, Exception] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_contract(self, contract: Contract) -> None:
        self.contracts[contract.id] = contract
        self.caps[contract.id] = contract.max_learners

    def _enter(self, name: str) -> None:
        if name in self.failures:
            raise self.failures[name]
        if name in self.delays:
            threading.Event().wait(self.delays[name])

    def read_login_state(self, user_id: str, organization_ids: Iterable[str]) -> LoginState:
        self._enter("read_login_state")
        named = set(organization_ids)
        return LoginState(
            organizations={o: org for o, org in self.organizations.items() if o in named},
            previously_seen=self.seen.get(user_id),
        )

    def organization_by_sso_id(self, sso_organization_id: str) -> Organization:
        if sso_organization_id not in self.organizations:
            raise NotFound(f"organization with SSO id {sso_organization_id!r} not found")
        return self.organizations[sso_organization_id]

    def contracts_page(self, organization_id: int, limit: int, cursor: str | None) -> Page[Contract]:
        self._enter("contracts_page")
        mine = sorted(
            (c for c in self.contracts.values() if c.organization_id == organization_id), key=lambda c: c.id
        )
        start = int(cursor or 0)
        rest = mine[start + limit :]
        return Page(mine[start : start + limit], str(start + limit) if rest else None)

    def contracts_joined(self, user_id: str, contract_ids: list[int]) -> set[int]:
        return {c for c in contract_ids if (c, user_id) in self.memberships}

    def attach_with_marker(
        self, membership: Membership, marker: SeenOrganizations | None, judged: Contract | None = None
    ) -> AttachOutcome:
        self._enter("attach_with_marker")
        with self.lock:
            self.attach_calls += 1
            key = (membership.contract_id, membership.user_id)
            if key in self.memberships:
                return "already_attached"
            cap = self.caps[membership.contract_id]
            taken = sum(1 for c, _ in self.memberships if c == membership.contract_id)
            if cap is not None and taken >= cap:
                raise Conflict(f"contract {membership.contract_id} has no seat left", code="contract_full")
            self.memberships[key] = membership.source
            if marker is not None:
                self.seen[marker.user_id] = marker.organization_ids
                self.markers_written_with_attach += 1
            return "attached"

    def detach(self, contract_id: int, user_id: str, sources: frozenset[MembershipSource]) -> bool:
        with self.lock:
            if self.memberships.get((contract_id, user_id)) in sources:
                del self.memberships[(contract_id, user_id)]
                return True
            return False

    def record_refusal(self, contract_id: int, user_id: str, reason: str, now: datetime) -> None:
        with self.lock:
            self.refusals.append((contract_id, user_id, reason))

    def save_seen(self, user_id: str, organization_ids: Iterable[str], now: datetime) -> None:
        self.seen[user_id] = frozenset(organization_ids)

    def swap_seen(
        self, user_id: str, organization_ids: Iterable[str], now: datetime
    ) -> frozenset[str] | Unchanged | None:
        named = frozenset(organization_ids)
        if self.seen.get(user_id) == named:
            return Unchanged()
        before = self.seen.get(user_id)
        self.seen[user_id] = named
        return before

    def forget_seen(self, user_id: str) -> None:
        self.seen.pop(user_id, None)

    def hand_off(self, request: SsoAttachRequest) -> None:
        with self.lock:
            self.handed_off.append(request)
