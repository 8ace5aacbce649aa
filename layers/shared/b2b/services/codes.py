"""Enrollment codes: reconciling a contract's codes with its rules, listing and exporting them,
and the statistics and health check built on the per-product counters.

Reconciliation is bounded: one request writes at most ``budget`` codes and then hands the rest on
with a continuation request (``resume_from`` = the product it stopped at). Every run re-reads
the codes it is about to plan for, so running a request twice, or again after a crash half-way,
ends in the same state.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from b2b import queues
from b2b.db import codes as repo
from b2b.db import contracts as contracts_repo
from b2b.db.products import list_products
from b2b.domain.code_audit import audit_product, missing_codes
from b2b.domain.code_format import display, generate_code
from b2b.domain.errors import InvalidInput, NotFound, Unavailable
from b2b.domain.model import Contract, Page, Product, utcnow
from b2b.domain.reconcile import (
    CodeCounts,
    CodeStatus,
    CounterState,
    EnrollmentCode,
    ProductPlan,
    contract_price,
    count_codes,
    plan_product,
    target_for,
)
from b2b.observability import logger
from b2b.settings import get_settings

# Stop starting new products when less than this much Lambda time is left.
TIME_MARGIN_SECONDS = 15.0
Publisher = Callable[[queues.ReconcileRequest], None]


@dataclass(frozen=True)
class ReconcileOutcome:
    """What one bounded run did: item writes made, products finished, and whether work remains."""

    contract_id: int
    writes: int
    products_done: int
    continuation: queues.ReconcileRequest | None = None
    skipped: str | None = None
    created: int = 0
    deactivated: int = 0
    retired: int = 0

    @property
    def done(self) -> bool:
        return self.continuation is None


def _resume_point(resume_from: str | None) -> tuple[int, int]:
    """(first product id to visit, hop number) from an opaque ``resume_from``."""
    if not resume_from:
        return 0, 0
    try:
        product, hop = resume_from.removeprefix("p").split(".h")
        return int(product), int(hop)
    except ValueError:
        raise InvalidInput.for_field("resume_from", "is not a position written by the reconciler") from None


def _continuation(request: queues.ReconcileRequest, product_id: int, hop: int) -> queues.ReconcileRequest:
    root = request.change_id.split("~", 1)[0]
    return queues.ReconcileRequest(
        contract_id=request.contract_id,
        reason="continuation",
        contract_version=request.contract_version,
        resume_from=f"p{product_id}.h{hop}",
        # A distinct id per hop (so FIFO deduplication never drops a hop), the same id when a
        # retried run publishes the same hop again (so that copy is dropped).
        change_id=f"{root}~{hop}",
    )


@dataclass
class _Run:
    contract: Contract
    budget: int
    time_left: Callable[[], float] | None
    writes: int = 0
    created: int = 0
    deactivated: int = 0
    retired: int = 0
    issued: list[repo.IssuedCodes] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.budget - self.writes

    def out_of_time(self) -> bool:
        return self.time_left is not None and self.time_left() < TIME_MARGIN_SECONDS


def reconcile_codes(
    request: queues.ReconcileRequest,
    *,
    budget: int | None = None,
    time_left: Callable[[], float] | None = None,
    publish: Publisher | None = None,
) -> ReconcileOutcome:
    """Bring a contract's codes (and its products' prices) in line with the rules, within a budget.

    ``budget`` caps the item writes of this run (default: the ``RECONCILE_WRITE_BUDGET`` setting);
    ``time_left`` (seconds) stops the run early under a Lambda deadline. Unfinished work is handed
    on through ``publish`` as a continuation request.
    """
    try:
        contract = contracts_repo.get_contract(request.contract_id)
    except NotFound:
        logger.warning("reconcile: contract not found", extra={"contract_id": request.contract_id})
        return ReconcileOutcome(request.contract_id, 0, 0, skipped="contract_not_found")
    if contract.version < request.contract_version:
        # An eventually consistent read older than the change that queued us: try again later.
        raise Unavailable(f"contract {contract.id} is not yet visible at version {request.contract_version}")
    if not contract.active:
        return ReconcileOutcome(contract.id, 0, 0, skipped="contract_inactive")

    start_product, hop = _resume_point(request.resume_from)
    run = _Run(contract, budget or get_settings().reconcile_write_budget, time_left)
    # Detached products too: their codes must stop being live (deactivated or retired).
    products = [p for p in list_products(contract.id) if p.id >= start_product]
    counters = repo.read_product_counters(contract.id, [p.id for p in products])
    price = contract_price(contract)
    stopped_at: int | None = None
    done = 0
    codes = _CodesByProduct(repo.codes_from(contract.id, start_product))
    for product in products:
        if run.remaining <= 0 or run.out_of_time():
            stopped_at = product.id
            break
        if product.active and product.price != price:
            repo.set_product_price(product.id, contract.id, price)
        finished = _reconcile_product(run, product, codes.of(product.id), counters.get(product.id))
        if not finished:
            stopped_at = product.id
            break
        done += 1
    repo.record_issued(run.issued)

    continuation = None
    if stopped_at is not None:
        continuation = _continuation(request, stopped_at, hop + 1)
        (publish or queues.request_reconcile)(continuation)
    logger.info(
        "reconciled codes",
        extra={
            "contract_id": contract.id,
            "writes": run.writes,
            "products_done": done,
            "resume_from": continuation.resume_from if continuation else None,
        },
    )
    return ReconcileOutcome(
        contract.id,
        run.writes,
        done,
        continuation,
        created=run.created,
        deactivated=run.deactivated,
        retired=run.retired,
    )


class _CodesByProduct:
    """Splits one product-ordered stream of codes into each product's codes, in product order."""

    def __init__(self, stream: Iterator[EnrollmentCode]) -> None:
        self._stream = stream
        self._next: EnrollmentCode | None = next(stream, None)

    def of(self, product_id: int) -> list[EnrollmentCode]:
        while self._next is not None and self._next.product_id < product_id:
            self._next = next(self._stream, None)
        found = []
        while self._next is not None and self._next.product_id == product_id:
            found.append(self._next)
            self._next = next(self._stream, None)
        return found


def _reconcile_product(
    run: _Run, product: Product, existing: list[EnrollmentCode], counter: CounterState | None
) -> bool:
    """Apply as much of one product's plan as the budget allows; True when nothing is left."""
    contract = run.contract
    counted_seq = counter.issued_seq if counter else 0
    # Codes above the counted sequence were written by a run that stopped before counting them.
    uncounted = sum(1 for code in existing if code.seq > counted_seq)
    last_seq = max([counted_seq, *(code.seq for code in existing)])

    plan: ProductPlan = plan_product(target_for(contract, product.id, attached=product.active), existing)
    now = utcnow()
    retire = plan.retire[: run.remaining]
    if retire:
        repo.retire_codes(contract.id, product.id, retire, now)
        run.writes += len(retire)
        run.retired += len(retire)
    deactivate = plan.deactivate[: run.remaining]
    if deactivate:
        repo.deactivate_codes(contract.id, product.id, deactivate, now)
        run.writes += len(deactivate)
        run.deactivated += len(deactivate)
    updates = plan.update[: run.remaining]
    if updates:
        repo.update_code_terms(updates, now, contract.terms_version)
        run.writes += len(updates)
    created = min(plan.create, run.remaining)
    if created and plan.new_terms is not None:
        terms = plan.new_terms
        new_codes = [
            EnrollmentCode(
                code=generate_code(),
                contract_id=contract.id,
                product_id=product.id,
                seq=last_seq + i + 1,
                kind=terms.kind,
                status=CodeStatus.AVAILABLE,
                amount=terms.amount,
                valid_from=terms.valid_from,
                valid_until=terms.valid_until,
                redemptions=0,
                created_at=now,
                terms_version=contract.terms_version,
            )
            for i in range(created)
        ]
        repo.put_new_codes(new_codes)
        run.writes += created
        run.created += created
        uncounted += created
        last_seq += created
    if last_seq != counted_seq:
        run.issued.append(repo.IssuedCodes(contract.id, product.id, counted_seq, last_seq, uncounted))
    return (
        len(retire) == len(plan.retire)
        and len(deactivate) == len(plan.deactivate)
        and len(updates) == len(plan.update)
        and created == plan.create
    )


# --- listing, export, stats, health -------------------------------------------------------------


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
