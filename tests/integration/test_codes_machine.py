"""Property-based test of reconciliation: random contract changes, new products, redemptions and
reconcile runs (with duplicated messages and a run that fails part-way) keep every rule."""

from __future__ import annotations

import uuid
from decimal import Decimal

from b2b.db import codes as code_repo
from b2b.db import contracts as contract_repo
from b2b.db.table import dynamodb_client
from b2b.domain.model import MembershipType
from b2b.domain.reconcile import CodeStatus, count_codes, target_for, violations
from b2b.queues import ReconcileRequest
from b2b.services.codes import code_health, reconcile_codes
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests import store_reads
from tests.codes_support import add_products, change, make_contract, redeem


class _FailAfter:
    """A botocore hook that fails every DynamoDB write after the first ``writes`` ones."""

    def __init__(self, writes: int) -> None:
        self.left = writes

    def __call__(self, model, **_):
        if model.name in {"BatchWriteItem", "UpdateItem", "TransactWriteItems"}:
            self.left -= 1
            if self.left < 0:
                raise RuntimeError("the function stopped here")


class Reconciliation(RuleBasedStateMachine):
    @initialize(cap=st.one_of(st.none(), st.integers(1, 4)), priced=st.booleans())
    def start(self, cap, priced):
        self.contract = make_contract(
            uuid.uuid4().hex[:10].upper(), max_learners=cap, price=Decimal("9") if priced else None
        )
        self.products = add_products(self.contract, 1)
        self.history: dict[str, object] = {}  # redeemed codes, as they were when redeemed
        self.reconciled = False

    @rule(cap=st.one_of(st.none(), st.integers(0, 5)))
    def change_cap(self, cap):
        self.contract = change(self.contract, max_learners=cap if cap else None)
        self.reconciled = False

    @rule(price=st.sampled_from([None, Decimal("0"), Decimal("4"), Decimal("12.50")]))
    def change_price(self, price):
        self.contract = change(self.contract, price=price)
        self.reconciled = False

    @rule(kind=st.sampled_from(list(MembershipType)))
    def change_membership(self, kind):
        self.contract = change(self.contract, membership_type=kind)
        self.reconciled = False

    @rule()
    def add_product(self):
        if len(self.products) < 3:
            self.products += add_products(self.contract, 1)
            self.reconciled = False

    @rule(pick=st.integers(0, 50))
    def redeem_one(self, pick):
        live = [c for c in code_repo.contract_codes(self.contract.id) if c.status is CodeStatus.AVAILABLE]
        if live:
            chosen = live[pick % len(live)]
            redeem(chosen, user_id=f"learner-{pick}")
            self.history[chosen.code] = store_reads.get_code(chosen.code)

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

    @invariant()
    def redeemed_codes_never_change(self):
        for code, before in self.history.items():
            assert store_reads.get_code(code) == before

    @invariant()
    def rules_hold_after_a_complete_reconcile(self):
        if not self.reconciled:
            return
        contract = contract_repo.get_contract(self.contract.id)
        for product in self.products:
            codes = store_reads.product_codes(contract.id, product.id)
            assert violations(target_for(contract, product.id), codes) == []
            assert len({c.seq for c in codes}) == len(codes)
        health = code_health(contract.id)
        assert health.healthy, [p.problems for p in health.products]
        for product_health in health.products:
            assert product_health.counted == count_codes(
                store_reads.product_codes(contract.id, product_health.product_id)
            )


Reconciliation.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestReconciliation = Reconciliation.TestCase
