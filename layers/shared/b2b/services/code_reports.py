"""Enrollment codes as operators see them: listing and exporting a contract's codes, and the
statistics and health check built on the per-product counters.

Apart from the reconciliation in :mod:`b2b.services.codes`, so the code reconciler does not load
them (the CSV writer, the audit rules, their result types) at cold start.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from b2b.db import codes as repo
from b2b.db import contracts as contracts_repo
from b2b.db.products import list_products
from b2b.domain.code_audit import audit_product, missing_codes
from b2b.domain.code_format import display
from b2b.domain.model import Contract, Page
from b2b.domain.reconcile import CodeCounts, CodeStatus, CounterState, EnrollmentCode, count_codes, target_for
from b2b.settings import get_settings


def list_codes(
    contract_id: int, status: CodeStatus | None, product_id: int | None, limit: int, cursor: str | None
) -> Page[EnrollmentCode]:
    """A page of a contract's codes (404 for an unknown contract)."""
    contracts_repo.get_contract(contract_id)
    return repo.list_codes(contract_id, status, product_id, limit, cursor)


CSV_COLUMNS = ("Code", "Product", "Redeemed", "Product URL", "Attach URL")


def _fill(template: str, product_id: int, code: str) -> str:
    # Plain replacement (not str.format): other braces in an operator's template stay as they are.
    return template.replace("{product_id}", str(product_id)).replace("{code}", code)


@dataclass(frozen=True)
class CsvPage:
    text: str
    rows: int
    next_cursor: str | None


def export_codes_csv(
    contract_id: int, product_id: int | None, limit: int | None, cursor: str | None
) -> CsvPage:
    """One page of the codes export (header row on every page; deactivated and retired codes, and
    codes of detached products, left out)."""
    contracts_repo.get_contract(contract_id)
    settings = get_settings()
    products = {product.id: product for product in list_products(contract_id)}
    page = repo.list_codes_for_export(
        contract_id,
        product_id,
        min(limit or settings.codes_csv_page_size, settings.codes_csv_page_size),
        cursor,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for code in page.items:
        product = products.get(code.product_id)
        if code.status is CodeStatus.RETIRED or (product is not None and not product.active):
            continue  # sells no more: a retired code, or a code of a detached product
        shown = display(code.code)
        writer.writerow(
            (
                shown,
                product.run_id if product else str(code.product_id),
                "yes" if code.is_history else "no",
                _fill(settings.product_url_template, code.product_id, shown),
                _fill(settings.attach_url_template, code.product_id, shown),
            )
        )
        rows += 1
    return CsvPage(out.getvalue(), rows, page.next_cursor)


@dataclass(frozen=True)
class ContractStats:
    contract: Contract
    seats_taken: int
    products: list[CounterState]

    @property
    def totals(self) -> CodeCounts:
        return CodeCounts(
            available=sum(p.available for p in self.products),
            redeemed=sum(p.redeemed for p in self.products),
            deactivated=sum(p.deactivated for p in self.products),
            retired=sum(p.retired for p in self.products),
        )


def contract_stats(contract_id: int) -> ContractStats:
    """Seats and code counts of a contract from its seat counter and code counters (no scans)."""
    contract = contracts_repo.get_contract(contract_id)
    counters = repo.read_counters(contract_id)
    return ContractStats(
        contract,
        contracts_repo.get_seats_taken(contract_id),
        sorted(counters.values(), key=lambda c: c.product_id),
    )


@dataclass(frozen=True)
class ProductHealth:
    product_id: int
    counted: CodeCounts
    actual: CodeCounts
    uncounted: int
    missing: int
    problems: list[str]


@dataclass(frozen=True)
class CodeHealth:
    contract_id: int
    products: list[ProductHealth]

    @property
    def healthy(self) -> bool:
        return not any(p.problems for p in self.products)


def code_health(contract_id: int) -> CodeHealth:
    """Recount each product's code items, compare them with the contract's terms and with the
    product's counter, and report any drift.

    The rules come from :func:`b2b.domain.code_audit.audit_product`, stated apart from the
    reconciler's planner. Reads every code of the contract (paged Queries, no Scan): an operator's
    diagnostic and the sweep's check, not a request-path call.
    """
    contract = contracts_repo.get_contract(contract_id)
    counters = repo.read_counters(contract_id)
    by_product: dict[int, list[EnrollmentCode]] = {}
    for code in repo.contract_codes(contract_id):
        by_product.setdefault(code.product_id, []).append(code)
    attached = {p.id: p.active for p in list_products(contract_id)}
    product_ids = sorted(
        {pid for pid, active in attached.items() if active} | set(by_product) | set(counters)
    )
    report = []
    for product_id in product_ids:
        codes = by_product.get(product_id, [])
        counter = counters.get(product_id, CounterState(product_id))
        counted = CodeCounts(counter.available, counter.redeemed, counter.deactivated, counter.retired)
        uncounted = sum(1 for c in codes if c.seq > counter.issued_seq)
        actual = count_codes(codes)
        target = target_for(contract, product_id, attached=attached.get(product_id, False))
        problems = audit_product(target, codes) if contract.active else []
        missing = missing_codes(target, codes) if contract.active else 0
        expected = CodeCounts(
            actual.available - uncounted, actual.redeemed, actual.deactivated, actual.retired
        )
        if uncounted:
            problems.append(f"{uncounted} codes written but not yet counted (a reconcile is pending)")
        if counted != expected and not uncounted:
            problems.append(f"counter says {counted}, code items say {actual}")
        report.append(ProductHealth(product_id, counted, actual, uncounted, missing, problems))
    return CodeHealth(contract_id, report)
