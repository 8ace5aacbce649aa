"""Property-based test of the code lifecycle: random changes of terms (price, cap up and down,
membership type, dates, deactivate/reactivate), courses attached and detached, attaches, checkouts,
unenrollments and reconcile runs (with duplicated messages and a run that fails part-way) keep
every rule, checked after every step against independent recounts of the table."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from decimal import Decimal

from b2b.db import codes as code_repo
from b2b.db import contracts as contract_repo
from b2b.db import enrollments, keys, memberships
from b2b.db.counters import next_id
from b2b.db.models import MembershipItem, ProductItem
from b2b.db.products import product_item
from b2b.db.table import dynamodb_client
from b2b.domain.code_audit import audit_product
from b2b.domain.errors import B2BError
from b2b.domain.model import MembershipType, Product, utcnow
from b2b.domain.reconcile import (
    CodePolicy,
    CodeStatus,
    EnrollmentCode,
    count_codes,
    target_for,
    transition_allowed,
)
from b2b.queues import ReconcileRequest
from b2b.services import checkout
from b2b.services.code_reports import code_health
from b2b.services.codes import reconcile_codes
from hypothesis import HealthCheck, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests import store_reads
from tests.codes_support import change, make_contract

LEARNERS = 5


class _FailAfter:
    """A botocore hook that fails every DynamoDB write after the first ``writes`` ones."""

    def __init__(self, writes: int) -> None:
        self.left = writes

    def __call__(self, model, **_):
        if model.name in {"BatchWriteItem", "UpdateItem", "TransactWriteItems"}:
            self.left -= 1
            if self.left < 0:
                raise RuntimeError("the function stopped here")


def event(text: str) -> None:
    """Count a step's outcome in hypothesis' statistics (a no-op when a scenario is replayed by hand)."""
    with contextlib.suppress(InvalidArgument):
        hypothesis_event(text)


def _price(value: Decimal | None) -> Decimal:
    return value if value is not None and value > 0 else Decimal(0)


class CodeLifecycle(RuleBasedStateMachine):
    @initialize(cap=st.one_of(st.none(), st.integers(1, 4)), priced=st.booleans())
    def start(self, cap, priced):
        self.unique = uuid.uuid4().hex[:10].upper()
        self.contract = make_contract(self.unique, max_learners=cap, price=Decimal("9") if priced else None)
        self.products: list[Product] = []
        self._add_product()
        self.learners = [f"m-{self.unique}-{n}" for n in range(LEARNERS)]
        self.codes: dict[str, EnrollmentCode] = {}  # every code as last seen
        self.reconciled = False
        # The most learners the contract may hold: the cap, or more if the cap dropped below them.
        self.allowed_members = cap
        self.reconcile_next = True
        self._reconcile_all()

    # --- helpers ------------------------------------------------------------------------------

    def _add_product(self) -> None:
        product_id = next_id("product")
        product = Product(
            id=product_id,
            contract_id=self.contract.id,
            run_id=f"course-v1:UAI_TEST+M{product_id}+2026_C{self.contract.id}",
            course_id=f"course-v1:UAI_TEST+M{product_id}",
            title=f"Course {product_id}",
            price=Decimal(0),
            active=True,
            created_at=utcnow(),
        )
        product_item(product).save()
        self.products.append(product)
        self.reconciled = False
        if getattr(self, "reconcile_next", False):
            self._reconcile_all()

    def _reconcile_all(self, budget: int = 50) -> None:
        """Run a reconcile and its continuations to the end, and check that it kept claimed codes."""
        contract = contract_repo.get_contract(self.contract.id)
        claimed = [c for c in self._live_codes() if c.is_claimed]
        queue = [ReconcileRequest(contract_id=self.contract.id, reason="contract_changed")]
        while queue:
            reconcile_codes(queue.pop(0), budget=budget, publish=queue.append)
        self.reconciled = True
        attached = {p.id for p in self.products if p.active}
        if not contract.active:
            return
        for code in claimed:
            policy = target_for(contract, code.product_id, attached=code.product_id in attached).policy
            if policy in {CodePolicy.CAPPED, CodePolicy.UNLIMITED, CodePolicy.UNCHANGED}:
                # A learner's claimed code is kept whatever the cap (it may become unlimited)
                after = store_reads.get_code(code.code)
                assert after is not None and after.status is CodeStatus.AVAILABLE, (code, after, contract)

    def _change(self, **changes) -> None:
        before = contract_repo.get_contract(self.contract.id)
        self.contract = change(self.contract, **changes)
        if before.terms != self.contract.terms:
            assert self.contract.terms_version == before.terms_version + 1
        cap = self.contract.max_learners
        members = self._members()
        self.allowed_members = None if cap is None else max(cap, members)
        self.reconciled = False
        if self.reconcile_next:
            self._reconcile_all()

    def _members(self) -> int:
        return len(
            list(
                MembershipItem.query(
                    keys.contract_pk(self.contract.id), MembershipItem.sk.startswith("LEARNER#")
                )
            )
        )

    def _live_codes(self) -> list[EnrollmentCode]:
        return [c for c in code_repo.contract_codes(self.contract.id) if c.status is CodeStatus.AVAILABLE]

    # --- changes of terms ---------------------------------------------------------------------

    @rule(then=st.booleans())
    def reconcile_after_the_next_change(self, then):
        self.reconcile_next = then

    @rule(
        change=st.one_of(
            st.tuples(st.just("max_learners"), st.one_of(st.none(), st.integers(0, 5))),
            st.tuples(
                st.just("price"), st.sampled_from([None, Decimal("0"), Decimal("4"), Decimal("12.50")])
            ),
            st.tuples(st.just("membership_type"), st.sampled_from(list(MembershipType))),
            st.tuples(st.just("end"), st.sampled_from([None, 30, 60])),
            st.tuples(st.just("active"), st.booleans()),
        )
    )
    def change_terms(self, change):
        """Price, cap up and down, membership type, dates, deactivate/reactivate."""
        name, value = change
        if name == "max_learners":
            self._change(max_learners=value or None)
        elif name == "end":
            now = utcnow().replace(microsecond=0)
            self._change(
                start=now - timedelta(days=1), end=None if value is None else now + timedelta(days=value)
            )
        else:
            self._change(**{name: value})

    # --- courseware ---------------------------------------------------------------------------

    @rule()
    def attach_course(self):
        if len(self.products) < 3:
            self._add_product()

    @rule(pick=st.integers(0, 10))
    def detach_course(self, pick):
        attached = [p for p in self.products if p.active]
        if len(attached) > 1:
            chosen = attached[pick % len(attached)]
            ProductItem(pk=keys.product_pk(chosen.id), sk=keys.PRODUCT_SK).update(
                [ProductItem.active.set(False)]
            )
            self.products = [
                Product(**{**p.__dict__, "active": False}) if p.id == chosen.id else p for p in self.products
            ]
            self.reconciled = False
            if self.reconcile_next:
                self._reconcile_all()

    # --- learners -----------------------------------------------------------------------------

    @rule(pick=st.integers(0, 50), who=st.integers(0, LEARNERS - 1))
    def attach_by_code(self, pick, who):
        live = self._live_codes()
        if not live:
            return
        chosen = live[pick % len(live)]
        members_before = self._members()
        try:
            outcome, _ = checkout.attach_by_code(checkout.Learner(self.learners[who], None), chosen.code)
        except B2BError as refused:
            event(f"attach refused: {refused.code}")
            return
        event(f"attach {outcome}")
        if outcome == "attached":
            # A new seat was taken only below the cap
            assert self.allowed_members is None or members_before < self.allowed_members

    @rule(pick=st.integers(0, 50), who=st.integers(0, LEARNERS - 1), with_code=st.booleans())
    def checkout(self, pick, who, with_code):
        live = self._live_codes()
        code = live[pick % len(live)] if live and with_code else None
        products = [p for p in self.products if p.active]
        product = next(
            (p for p in products if code and p.id == code.product_id), products[pick % len(products)]
        )
        members_before = self._members()
        contract = contract_repo.get_contract(self.contract.id)
        try:
            outcome = checkout.complete(
                checkout.Learner(self.learners[who], None),
                [product.id],
                code.code if code else None,
                None,
                None,
            )
        except B2BError as refused:
            event(f"checkout refused: {refused.code}")
            return
        receipt = outcome.receipt
        event(f"checkout {receipt['status']}")
        # No redemption (and no price asked) other than the contract's terms at commit
        assert Decimal(receipt["total"]) == _price(contract.price), (receipt, contract)
        if receipt["status"] == "completed" and receipt["attached"]:
            assert self.allowed_members is None or members_before < self.allowed_members

    @rule(who=st.integers(0, LEARNERS - 1))
    def unenroll(self, who):
        active = [e for e in enrollments.all_enrollments(self.learners[who]) if e.status == "active"]
        if active:
            enrollments.unenroll(self.learners[who], active[0].run_id)

    # --- reconciliation -----------------------------------------------------------------------

    @rule(
        budget=st.integers(1, 6), duplicate=st.booleans(), fail_after=st.one_of(st.none(), st.integers(0, 3))
    )
    def reconcile(self, budget, duplicate, fail_after):
        queue = [ReconcileRequest(contract_id=self.contract.id, reason="contract_changed")]
        if fail_after is not None:
            # A run that dies part-way: its message is delivered again afterwards.
            hook = _FailAfter(fail_after)
            events = dynamodb_client().meta.events
            events.register("before-call.dynamodb", hook)
            try:
                reconcile_codes(queue[0], budget=budget, publish=lambda r: None)
            except RuntimeError:
                pass
            finally:
                events.unregister("before-call.dynamodb", hook)
        runs = 0
        while queue:
            request = queue.pop(0)
            reconcile_codes(request, budget=budget, publish=queue.append)
            if duplicate:
                reconcile_codes(request, budget=budget, publish=lambda r: None)
            runs += 1
            assert runs < 200
        self.reconciled = True

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def codes_change_only_by_written_transitions(self):
        if not hasattr(self, "contract"):
            return
        for code in code_repo.contract_codes(self.contract.id):
            before = self.codes.get(code.code)
            if before is not None:
                assert transition_allowed(before.state, code.state), (before, code)
                if before.status is CodeStatus.REDEEMED:
                    assert code == before  # history, untouched
                assert code.redemptions >= before.redemptions
                if code.status is CodeStatus.RETIRED:
                    assert code.redemptions == before.redemptions or before.status is not CodeStatus.RETIRED
            self.codes[code.code] = code

    @invariant()
    def members_never_exceed_the_cap(self):
        if not hasattr(self, "contract"):
            return
        members = self._members()
        assert contract_repo.get_seats_taken(self.contract.id) == members
        if self.allowed_members is not None:
            assert members <= self.allowed_members
        assert {m.user_id for m in memberships.list_learners(self.contract.id, 100, None).items} <= set(
            self.learners
        )

    @invariant()
    def after_a_complete_reconcile_every_live_code_follows_the_terms(self):
        if not getattr(self, "reconciled", False):
            return
        contract = contract_repo.get_contract(self.contract.id)
        if not contract.active:
            return
        for product in self.products:
            codes = store_reads.product_codes(contract.id, product.id)
            # The health check's own statement of the rules holds: live codes belong to attached
            # products and carry the current terms
            assert audit_product(target_for(contract, product.id, attached=product.active), codes) == []
            if not product.active:
                assert not [c for c in codes if c.status is CodeStatus.AVAILABLE]
            assert len({c.seq for c in codes}) == len(codes)
        # And health agrees with an independent recount of the code items
        health = code_health(contract.id)
        assert health.healthy, [p.problems for p in health.products]
        for product_health in health.products:
            assert product_health.counted == count_codes(
                store_reads.product_codes(contract.id, product_health.product_id)
            )


CodeLifecycle.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestCodeLifecycle = CodeLifecycle.TestCase


def _check(machine: CodeLifecycle) -> None:
    machine.codes_change_only_by_written_transitions()
    machine.members_never_exceed_the_cap()
    machine.after_a_complete_reconcile_every_live_code_follows_the_terms()


def test_replay_a_cap_dropped_below_the_claimed_codes():
    # Given a free code contract capped at 4 whose codes two learners claimed by attaching
    machine = CodeLifecycle()
    machine.start(cap=4, priced=False)
    for who, pick in ((0, 3), (1, 2)):
        machine.attach_by_code(pick=pick, who=who)
        _check(machine)
    assert sum(c.is_claimed for c in machine._live_codes()) == 2
    # When the cap drops to 1 and the codes are reconciled
    machine.change_terms(change=("max_learners", 1))
    # Then the claimed codes are kept (checked by the reconcile step) and every invariant holds
    _check(machine)
    assert sum(c.is_claimed for c in machine._live_codes()) == 2
    for who in (0, 1):
        machine.checkout(pick=0, who=who, with_code=False)
        _check(machine)


def test_replay_a_used_unlimited_code_and_a_new_price():
    # Given a free uncapped code contract whose unlimited code a learner used
    machine = CodeLifecycle()
    machine.start(cap=None, priced=False)
    machine.checkout(pick=0, who=0, with_code=True)
    _check(machine)
    assert [c.redemptions for c in machine._live_codes()] == [1]
    # When the price changes, then a course is detached, then the contract is reactivated
    machine.change_terms(change=("price", Decimal("4")))
    _check(machine)
    machine.attach_course()
    machine.detach_course(pick=0)
    _check(machine)
    machine.change_terms(change=("active", False))
    machine.change_terms(change=("active", True))
    # Then every invariant still holds after each change (the used code retired, not rewritten)
    _check(machine)
    machine.checkout(pick=0, who=1, with_code=True)
    _check(machine)
