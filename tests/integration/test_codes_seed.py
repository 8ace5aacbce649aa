"""The seed's example, end to end on the data layer: 200 learners × 20 courses, then the cap is
lowered, removed, and the price changed, with one redeemed code that must never change."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from b2b.db import codes as code_repo
from b2b.domain.reconcile import CodeKind, CodeStatus
from b2b.services import code_reports

from tests import store_reads
from tests.codes_support import add_products, change, make_contract, product_price, reconcile_all, redeem


def _all_codes(contract_id: int) -> list[code_repo.EnrollmentCode]:
    return list(code_repo.contract_codes(contract_id))


def test_capped_contract_lifecycle_follows_the_rules(unique: str) -> None:
    # Given a code contract capped at 200 learners, priced at 25.00, with 20 courses
    contract = make_contract(unique, max_learners=200, price=Decimal("25.00"))
    products = add_products(contract, 20)

    # When it is reconciled (bounded runs of 2,000 writes)
    outcomes = reconcile_all(contract.id, budget=2000)

    # Then there are exactly 4,000 one-time codes at the contract's price, 200 per product
    all_codes = _all_codes(contract.id)
    assert len(all_codes) == 4000
    assert len({c.code for c in all_codes}) == 4000
    assert Counter(c.product_id for c in all_codes) == {p.id: 200 for p in products}
    assert {(c.kind, c.status, c.amount) for c in all_codes} == {
        (CodeKind.ONE_TIME, CodeStatus.AVAILABLE, Decimal("25.00"))
    }
    assert max(o.writes for o in outcomes) <= 2000
    assert len(outcomes) == 2
    # and the products carry the contract's price
    assert product_price(products[0].id) == Decimal("25.00")

    # Given one code redeemed by a learner (checkout's write)
    first = products[0]
    redeemed = store_reads.product_codes(contract.id, first.id)[0]
    redeem(redeemed)
    redeemed = store_reads.get_code(redeemed.code)
    assert redeemed is not None

    # When the cap is lowered to 150
    contract = change(contract, max_learners=150)
    reconcile_all(contract.id, budget=2000)

    # Then 3,000 codes are active, the surplus deactivated newest first, the redeemed code untouched
    all_codes = _all_codes(contract.id)
    active = [c for c in all_codes if c.status is not CodeStatus.DEACTIVATED]
    assert len(active) == 3000
    first_codes = store_reads.product_codes(contract.id, first.id)
    deactivated = [c for c in first_codes if c.status is CodeStatus.DEACTIVATED]
    assert len(deactivated) == 50
    assert min(c.seq for c in deactivated) > max(
        c.seq for c in first_codes if c.status is not CodeStatus.DEACTIVATED
    )
    assert store_reads.get_code(redeemed.code) == redeemed

    # When the cap is removed
    contract = change(contract, max_learners=None)
    reconcile_all(contract.id, budget=2000)

    # Then every unredeemed code is unlimited, the redeemed one is still one-time and redeemed
    all_codes = _all_codes(contract.id)
    unredeemed = [c for c in all_codes if c.is_unredeemed]
    assert len(unredeemed) == 2999
    assert {c.kind for c in unredeemed} == {CodeKind.UNLIMITED}
    assert store_reads.get_code(redeemed.code) == redeemed

    # When the price changes
    contract = change(contract, price=Decimal("10.00"))
    reconcile_all(contract.id, budget=2000)

    # Then the amounts of unredeemed codes and the products' prices follow; the redeemed code keeps its price
    all_codes = _all_codes(contract.id)
    assert {c.amount for c in all_codes if c.is_unredeemed} == {Decimal("10.00")}
    assert product_price(first.id) == Decimal("10.00")
    assert store_reads.get_code(redeemed.code) == redeemed

    # And the counters agree with the code items
    health = code_reports.code_health(contract.id)
    assert health.healthy, [p.problems for p in health.products if p.problems]
    stats = code_reports.contract_stats(contract.id)
    assert stats.totals.redeemed == 1
    assert stats.totals.available == 2999
    assert stats.totals.deactivated == 1000
