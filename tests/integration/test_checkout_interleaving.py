"""A change of terms committed between a checkout's (or an attach's) read and its write: the write is
refused by its condition on the terms version, and the flow judges again on the new terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from b2b.db import contracts as contract_repo
from b2b.domain.checkout_rules import AttachPlan, CheckoutPlan
from b2b.domain.errors import Forbidden
from b2b.domain.model import MembershipType
from b2b.services import checkout, contracts

from tests import builders, store_reads


class _ChangeOnce:
    """A hook that commits one contract change the first time a flow is about to write."""

    def __init__(self, contract_id: int, **changes: object) -> None:
        self.contract_id = contract_id
        self.changes = changes
        self.judged: list[CheckoutPlan | AttachPlan] = []

    def __call__(self, plan: CheckoutPlan | AttachPlan) -> None:
        self.judged.append(plan)
        if len(self.judged) == 1:
            contracts.change_contract(self.contract_id, self.changes)


def test_a_price_set_after_the_read_is_what_the_learner_is_asked_to_pay(unique, monkeypatch):
    # Given a free code contract and an unused code issued under its terms
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    value = builders.code(product)
    # And a price of 30.00 that commits right after the checkout judged it free
    hook = _ChangeOnce(contract.id, price=Decimal("30.00"))
    monkeypatch.setattr(checkout, "between_read_and_write", hook)

    # When the learner completes
    outcome = checkout.complete(checkout.Learner(f"l-{unique}", None), [product.id], value, None, None)

    # Then the first judgement (free) never committed: the flow judged again and opened an order
    # for 30.00, priced at the new terms
    assert [p.contract.terms_version for p in hook.judged] == [1]
    assert hook.judged[0].receipt["total"] == "0"
    assert outcome.receipt["status"] == "pending_payment"
    assert Decimal(outcome.receipt["total"]) == Decimal("30.00")
    assert Decimal(outcome.receipt["order"]["amount"]) == Decimal("30.00")
    # And nothing was redeemed: the code is unused and the learner not enrolled until the payment
    code = store_reads.get_code(value)
    assert code is not None
    assert (code.status.value, code.redemptions) == ("available", 0)
    assert store_reads.get_enrollment(f"l-{unique}", product.run_id) is None
    assert contract_repo.get_seats_taken(contract.id) == 0


def test_a_change_to_managed_after_the_read_requires_the_sso_login(unique, monkeypatch):
    # Given a free code contract, and a change to `managed` committed right after a learner's checkout
    # (without the organization's SSO claim) was judged
    contract = builders.contract(builders.organization(unique))
    product = builders.product(contract)
    value = builders.code(product)
    hook = _ChangeOnce(contract.id, membership_type=MembershipType.MANAGED)
    monkeypatch.setattr(checkout, "between_read_and_write", hook)

    # When the learner completes
    with pytest.raises(Forbidden) as refused:
        checkout.complete(checkout.Learner(f"l-{unique}", None), [product.id], value, None, None)

    # Then the flow judged again and refused: an SSO login is now required
    assert len(hook.judged) == 1
    assert refused.value.code == "sso_required"
    assert store_reads.get_enrollment(f"l-{unique}", product.run_id) is None


def test_a_change_of_terms_after_an_attach_read_is_judged_again(unique, monkeypatch):
    # Given a capped code contract and a change of its end date committed right after an attach
    # was judged (the change closes the contract)
    contract = builders.contract(builders.organization(unique), max_learners=3)
    product = builders.product(contract)
    value = builders.code(product)
    hook = _ChangeOnce(contract.id, active=False)
    monkeypatch.setattr(checkout, "between_read_and_write", hook)

    # When the learner attaches with the code
    with pytest.raises(Exception) as refused:
        checkout.attach_by_code(checkout.Learner(f"l-{unique}", None), value)

    # Then the attach judged again on the new terms and took no seat
    assert len(hook.judged) == 1
    # (a closed contract's code gets the one answer every unusable code gets: no oracle)
    assert getattr(refused.value, "code", None) == "code_invalid"
    assert contract_repo.get_seats_taken(contract.id) == 0


def test_an_sso_attach_judged_under_older_terms_is_refused(unique):
    # Given a free auto contract read as eligible, then changed to `code` before the attach commits
    from b2b.db import sso_logins
    from b2b.db.memberships import membership_for
    from b2b.domain.errors import Conflict
    from b2b.domain.model import utcnow

    contract = builders.contract(builders.organization(unique), membership_type=MembershipType.AUTO)
    judged = contract_repo.get_contract(contract.id)
    contracts.change_contract(contract.id, {"membership_type": MembershipType.CODE})
    membership = membership_for(contract.id, f"sso-{unique}", "sso", utcnow())
    # When the SSO attach commits with the terms it judged
    with pytest.raises(Conflict) as refused:
        sso_logins.attach_with_marker(membership, None, judged=judged)
    # Then it is refused (the login is judged again), and no seat was taken
    assert refused.value.code == "terms_changed"
    assert contract_repo.get_seats_taken(contract.id) == 0
    # And under the current terms it goes through
    current = contract_repo.get_contract(contract.id)
    assert sso_logins.attach_with_marker(membership, None, judged=current) == "attached"
