"""Admin routes over a reconciled contract: listing with filters and cursors, the paged CSV export,
stats from counters, and the health check."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from admin_api.handler import lambda_handler

from tests import store_reads
from tests.codes_support import add_products, make_contract, reconcile_all, redeem
from tests.factories import admin_claims, call, generate_api_gw_event


def admin(method: str, path: str, **kwargs):
    return call(lambda_handler, generate_api_gw_event(method, path, claims=admin_claims(), **kwargs))


def _reconciled_contract(unique: str, cap: int = 3, products: int = 2):
    contract = make_contract(unique, max_learners=cap, price=Decimal("5"))
    items = add_products(contract, products)
    reconcile_all(contract.id)
    return contract, items


def test_codes_are_listed_by_status_and_product_with_cursors(unique):
    # Given a contract with 2 products × 3 codes, one of them redeemed
    contract, products = _reconciled_contract(unique)
    first = store_reads.product_codes(contract.id, products[0].id)[0]
    redeem(first)

    # When every code is listed two at a time
    seen, cursor = [], None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = admin("GET", f"/v1/contracts/{contract.id}/codes", query=query)
        assert page.status == 200
        seen += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            break

    # Then all 6 come back once, in the displayed format, and filters narrow them with one query each
    assert len({item["code"] for item in seen}) == 6
    assert all(len(item["code"]) == 19 and item["code"][4] == "-" for item in seen)
    redeemed = admin("GET", f"/v1/contracts/{contract.id}/codes", query={"status": "redeemed"})
    assert [i["code"].replace("-", "") for i in redeemed.body["items"]] == [first.code]
    available_of_second = admin(
        "GET",
        f"/v1/contracts/{contract.id}/codes",
        query={"status": "available", "product_id": str(products[1].id)},
    )
    assert len(available_of_second.body["items"]) == 3
    assert {i["product_id"] for i in available_of_second.body["items"]} == {products[1].id}


def test_bad_filters_are_4xx_naming_the_field(unique):
    contract, _ = _reconciled_contract(unique, cap=1, products=1)
    bad_status = admin("GET", f"/v1/contracts/{contract.id}/codes", query={"status": "lost"})
    bad_cursor = admin("GET", f"/v1/contracts/{contract.id}/codes", query={"cursor": "nope"})
    unknown = admin("GET", "/v1/contracts/999999999/codes")
    assert bad_status.status == 422
    assert "status" in str(bad_status.body["error"])
    assert (bad_cursor.status, bad_cursor.body["error"]["code"]) == (400, "invalid_cursor")
    assert bad_cursor.body["error"]["details"][0]["field"] == "cursor"
    assert unknown.status == 404


def test_csv_export_is_paged_with_a_next_link(unique):
    # Given 2 products × 3 codes
    contract, products = _reconciled_contract(unique)

    # When the CSV is fetched 4 rows at a time
    rows, cursor, pages = [], None, 0
    while True:
        query = {"limit": "4"} | ({"cursor": cursor} if cursor else {})
        page = admin("GET", f"/v1/contracts/{contract.id}/codes.csv", query=query)
        assert page.status == 200
        assert page.headers["Content-Type"].startswith("text/csv")
        assert f"codes-{contract.id}.csv" in page.headers["Content-Disposition"]
        table = list(csv.reader(io.StringIO(page.body)))
        assert table[0] == ["Code", "Product", "Redeemed", "Product URL", "Attach URL"]
        rows += table[1:]
        pages += 1
        cursor = page.headers.get("X-Next-Cursor")
        if cursor:
            assert 'rel="next"' in page.headers["Link"]
        else:
            break

    # Then every code is there once, with the URLs filled in
    assert pages == 2
    assert len({row[0] for row in rows}) == 6
    code, product, redeemed, product_url, attach_url = rows[0]
    assert redeemed == "no"
    assert product == products[0].run_id
    assert f"product_id={products[0].id}" in product_url
    assert code in product_url
    assert code in attach_url


def test_stats_and_health_come_from_counters(unique):
    # Given a reconciled contract with one redeemed code
    contract, products = _reconciled_contract(unique)
    redeem(store_reads.product_codes(contract.id, products[0].id)[0])

    # When stats and health are requested
    stats = admin("GET", f"/v1/contracts/{contract.id}/stats")
    health = admin("GET", f"/v1/contracts/{contract.id}/codes/health")

    # Then the counts add up and no drift is reported
    assert stats.status == 200
    assert stats.body["max_learners"] == 3
    assert stats.body["seats_taken"] == 0
    assert stats.body["codes"] == {"available": 5, "redeemed": 1, "deactivated": 0, "retired": 0}
    assert len(stats.body["products"]) == 2
    assert health.status == 200
    assert health.body["healthy"] is True


def test_health_reports_a_counter_out_of_step(unique):
    # Given a reconciled contract whose counter was moved by hand
    contract, products = _reconciled_contract(unique, cap=2, products=1)
    from b2b.db.code_counters import counter_actions, counter_item

    counter_item(contract.id, products[0].id).update(
        counter_actions(contract.id, products[0].id, available=3)
    )

    # When the health check runs
    health = admin("GET", f"/v1/contracts/{contract.id}/codes/health")

    # Then it names the drift
    assert health.body["healthy"] is False
    assert "counter says" in health.body["products"][0]["problems"][0]


def test_health_counts_the_codes_still_to_be_made_until_a_reconcile_makes_them(unique):
    # Given a capped contract with two products whose codes have not been made yet
    contract = make_contract(unique, max_learners=4, price=Decimal("5"))
    products = add_products(contract, 2)

    # When health is asked before and after the reconcile
    before = admin("GET", f"/v1/contracts/{contract.id}/codes/health").body
    reconcile_all(contract.id)
    after = admin("GET", f"/v1/contracts/{contract.id}/codes/health").body

    # Then it counts the cap's codes per product as missing, then none; the table agrees
    assert [p["missing"] for p in before["products"]] == [4, 4]
    assert before["missing"] == 8 and before["healthy"] is False
    made = sum(len(store_reads.product_codes(contract.id, p.id)) for p in products)
    assert made == 8
    assert after["missing"] == 0 and after["healthy"] is True
