"""Courseware of contracts: links, contract runs and their products (a run's clone state is in
:mod:`b2b.db.clones`).

Attaching writes everything in as few TransactWriteItems as possible (DynamoDB takes 100
operations per transaction), each carrying a check that the contract is still at the version the
plan was made from. Invariants are conditions inside those writes:

- a contract gets at most one created run per course (guard item put with attribute_not_exists);
- a run belongs to at most one contract (assignment conditional on attribute_not_exists(contract_id));
- a run key is never reused (run put with attribute_not_exists).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.constants import UPDATED_NEW

from b2b.db import keys
from b2b.db.catalog import run_item, to_course, to_program, to_run
from b2b.db.contracts import to_contract
from b2b.db.errors import translate_errors
from b2b.db.models import (
    ContractCourseItem,
    ContractItem,
    CounterItem,
    CourseItem,
    CourseRunItem,
    CoursewareLinkItem,
    OrganizationItem,
    ProductItem,
    ProgramItem,
)
from b2b.db.organizations import to_organization
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.products import product_item, to_product
from b2b.db.table import TableItem
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.courseware import Course, CourseRun, CoursewareKind, CoursewareLink, Program
from b2b.domain.errors import Conflict
from b2b.domain.model import Contract, Organization, Product

MAX_TRANSACTION_OPERATIONS = 100
# Codes of the conflicts a caller may resolve by reading again and re-planning.
STALE_PLAN = "courseware_plan_stale"


def reserve_ids(name: str, count: int) -> list[int]:
    """Take ``count`` consecutive ids from counter ``name`` with one atomic UpdateItem."""
    if count <= 0:
        return []
    connection = CounterItem._get_connection()
    with translate_errors():
        response = connection.update_item(
            keys.counter_pk(name),
            range_key=keys.COUNTER_SK,
            actions=[CounterItem.entity.set(CounterItem), CounterItem.value.add(count)],
            return_values=UPDATED_NEW,
        )
    last = int(response["Attributes"]["value"]["N"])
    return list(range(last - count + 1, last + 1))


def link_item(link: CoursewareLink) -> CoursewareLinkItem:
    return CoursewareLinkItem(
        pk=keys.contract_pk(link.contract_id),
        sk=keys.courseware_link_sk(link.courseware_id),
        gsi2pk=keys.contract_courseware_gsi2_pk(link.contract_id),
        gsi2sk=keys.courseware_link_gsi2_sk(link.courseware_id),
        contract_id=link.contract_id,
        courseware_id=link.courseware_id,
        kind=link.kind.value,
        runs_created=link.runs_created,
        attached_at=link.attached_at,
    )


def to_link(item: CoursewareLinkItem) -> CoursewareLink:
    return CoursewareLink(
        contract_id=int(item.contract_id),
        courseware_id=item.courseware_id,
        kind=CoursewareKind(item.kind),
        runs_created=bool(item.runs_created),
        attached_at=item.attached_at,
    )


@dataclass
class AttachmentInterrupted(Conflict):
    """A split attachment failed after some of its transactions went through: ``committed`` are
    the new runs already written (the caller still owes them their clone requests)."""

    committed: list[CourseRun] = field(default_factory=list)


@dataclass
class Snapshot:
    """What one batched read found (missing items are simply absent)."""

    contract: Contract | None = None
    organization: Organization | None = None
    courses: dict[str, Course] = field(default_factory=dict)
    runs: dict[str, CourseRun] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    guards: dict[str, str] = field(default_factory=dict)  # course id → the contract's run of it
    links: dict[str, CoursewareLink] = field(default_factory=dict)


def read_snapshot(
    contract_id: int,
    *,
    include_contract: bool = True,
    organization_id: int | None = None,
    course_ids: Iterable[str] = (),
    run_ids: Iterable[str] = (),
    program_ids: Iterable[str] = (),
    guard_course_ids: Iterable[str] = (),
    link_ids: Iterable[str] = (),
) -> Snapshot:
    """Read a contract, its organization, catalog entries and the contract's guards and links in
    one BatchGetItem (PynamoDB splits it per 100 keys and retries unprocessed keys)."""
    wanted: list[tuple[str, str]] = []
    if include_contract:
        wanted.append((keys.contract_pk(contract_id), keys.CONTRACT_SK))
    if organization_id is not None:
        wanted.append((keys.org_pk(organization_id), keys.ORG_SK))
    wanted += [(keys.course_pk(c), keys.COURSE_SK) for c in course_ids]
    wanted += [(keys.run_pk(r), keys.RUN_SK) for r in run_ids]
    wanted += [(keys.program_pk(p), keys.PROGRAM_SK) for p in program_ids]
    wanted += [(keys.contract_pk(contract_id), keys.contract_course_sk(c)) for c in guard_course_ids]
    wanted += [(keys.contract_pk(contract_id), keys.courseware_link_sk(i)) for i in link_ids]
    snapshot = Snapshot()
    if not wanted:
        return snapshot
    with translate_errors():
        found = list(TableItem.batch_get(list(dict.fromkeys(wanted))))
    for item in found:
        _place(snapshot, item)
    return snapshot


def _place(snapshot: Snapshot, item: TableItem) -> None:
    """Put one item read for a snapshot where its kind belongs."""
    if isinstance(item, ContractItem):
        snapshot.contract = to_contract(item)
    elif isinstance(item, OrganizationItem):
        snapshot.organization = to_organization(item)
    elif isinstance(item, CourseItem):
        snapshot.courses[item.course_id] = to_course(item)
    elif isinstance(item, CourseRunItem):
        snapshot.runs[item.run_id] = to_run(item)
    elif isinstance(item, ProgramItem):
        snapshot.programs[item.program_id] = to_program(item)
    elif isinstance(item, ContractCourseItem):
        snapshot.guards[item.course_id] = item.run_id
    elif isinstance(item, CoursewareLinkItem):
        snapshot.links[item.courseware_id] = to_link(item)


@dataclass
class AttachmentPlan:
    """What attaching one piece of courseware writes.

    ``new_runs``: contract runs created from catalog courses, each with its product.
    ``assigned_runs``: existing catalog runs given to the contract, each with its product.
    """

    contract_id: int
    contract_version: int
    new_runs: list[tuple[CourseRun, Product]] = field(default_factory=list)
    assigned_runs: list[tuple[CourseRun, Product]] = field(default_factory=list)
    links: list[CoursewareLink] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new_runs or self.assigned_runs or self.links)


def _contract_check(tx: Transaction, contract_id: int, version: int) -> None:
    tx.condition_check(
        "contract",
        ContractItem,
        keys.contract_pk(contract_id),
        keys.CONTRACT_SK,
        ContractItem.version == version,
    )


def _contract_run_fields(run_id: str, contract_id: int, via: str, product_id: int) -> list[Any]:
    return [
        CourseRunItem.contract_id.set(contract_id),
        CourseRunItem.attached_via.set(via),
        CourseRunItem.product_id.set(product_id),
        CourseRunItem.gsi2pk.set(keys.contract_courseware_gsi2_pk(contract_id)),
        CourseRunItem.gsi2sk.set(keys.contract_run_gsi2_sk(run_id)),
    ]


def _add_new_run(tx: Transaction, contract_id: int, run: CourseRun, product: Product) -> None:
    item = run_item(run)
    item.contract_id = contract_id
    item.attached_via = run.attached_via
    item.product_id = product.id
    item.gsi2pk = keys.contract_courseware_gsi2_pk(contract_id)
    item.gsi2sk = keys.contract_run_gsi2_sk(run.id)
    tx.put(f"run:{run.id}", item, CourseRunItem.pk.does_not_exist())
    guard = ContractCourseItem(
        pk=keys.contract_pk(contract_id),
        sk=keys.contract_course_sk(run.course_id),
        contract_id=contract_id,
        course_id=run.course_id,
        run_id=run.id,
    )
    tx.put(f"guard:{run.course_id}", guard, ContractCourseItem.pk.does_not_exist())
    tx.put(f"product:{run.id}", product_item(product), ProductItem.pk.does_not_exist())


def _add_assigned_run(tx: Transaction, contract_id: int, run: CourseRun, product: Product) -> None:
    item = CourseRunItem(pk=keys.run_pk(run.id), sk=keys.RUN_SK)
    tx.update(
        f"assign:{run.id}",
        item,
        _contract_run_fields(run.id, contract_id, run.attached_via or run.id, product.id),
        CourseRunItem.pk.exists() & CourseRunItem.contract_id.does_not_exist(),
    )
    # A run given as is may join a second run of the same course; the guard keeps the first.
    guard = ContractCourseItem(pk=keys.contract_pk(contract_id), sk=keys.contract_course_sk(run.course_id))
    tx.update(
        f"guard:{run.course_id}",
        guard,
        [
            ContractCourseItem.entity.set(ContractCourseItem),
            ContractCourseItem.contract_id.set(contract_id),
            ContractCourseItem.course_id.set(run.course_id),
            ContractCourseItem.run_id.set(ContractCourseItem.run_id | run.id),
        ],
    )
    tx.put(f"product:{run.id}", product_item(product), ProductItem.pk.does_not_exist())


def write_attachment(plan: AttachmentPlan) -> None:
    """Write ``plan`` in as few transactions as DynamoDB allows (links go with the last one).

    Raises :class:`Conflict` with code :data:`STALE_PLAN` when the contract changed or another
    attachment created one of these runs first (read again and re-plan), ``run_key_taken`` when
    a new run's key already exists, and ``course_run_assigned`` when a run went to a contract.
    """
    if plan.empty:
        return
    chunks = _attachment_chunks(plan)
    committed: list[CourseRun] = []
    for index, chunk in enumerate(chunks):
        tx = Transaction()
        _contract_check(tx, plan.contract_id, plan.contract_version)
        for kind, run, product in chunk:
            add = _add_new_run if kind == "new" else _add_assigned_run
            add(tx, plan.contract_id, run, product)
        if index == len(chunks) - 1:
            for link in plan.links:
                tx.put(f"link:{link.courseware_id}", link_item(link))
        try:
            _commit_attachment(tx, chunk)
        except Conflict as conflict:
            if committed:
                raise AttachmentInterrupted(
                    conflict.message, code=conflict.code, committed=committed
                ) from conflict
            raise
        committed += [run for kind, run, _ in chunk if kind == "new"]


def _attachment_chunks(plan: AttachmentPlan) -> list[list[tuple[str, CourseRun, Product]]]:
    """The plan's runs split into transactions, with room for the links in the last one."""
    per_run = 3
    room = MAX_TRANSACTION_OPERATIONS - 1  # the contract check rides in every transaction
    runs: list[tuple[str, CourseRun, Product]] = [("new", r, p) for r, p in plan.new_runs]
    runs += [("assign", r, p) for r, p in plan.assigned_runs]
    size = room // per_run
    chunks = [runs[start : start + size] for start in range(0, len(runs), size)]
    if not chunks or len(chunks[-1]) * per_run + len(plan.links) > room:
        chunks.append([])
    return chunks


def _commit_attachment(tx: Transaction, chunk: list[tuple[str, CourseRun, Product]]) -> None:
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if any(label.startswith("guard:") for label in cancelled.reasons) or cancelled.failed("contract"):
            # Another attachment gave the contract one of these courses, or the contract changed.
            raise Conflict(
                "the contract or its courseware changed while attaching; retry", code=STALE_PLAN
            ) from cancelled
        for kind, run, _ in chunk:
            if kind == "new" and cancelled.failed(f"run:{run.id}"):
                raise Conflict(
                    f"course run {run.id} already exists; attach that run itself to give it to the contract",
                    code="run_key_taken",
                ) from cancelled
            if kind == "assign" and cancelled.failed(f"assign:{run.id}"):
                raise Conflict(
                    f"course run {run.id} already belongs to a contract", code="course_run_assigned"
                ) from cancelled
        raise Conflict(
            "the contract or its courseware changed while attaching; retry", code=STALE_PLAN
        ) from cancelled


@dataclass(frozen=True)
class CoursewareListing:
    links: list[CoursewareLink]
    runs: list[CourseRun]
    products: dict[int, Product]
    next_cursor: str | None


def list_courseware(contract_id: int, limit: int, cursor: str | None) -> CoursewareListing:
    """One page of a contract's links and runs (one Query on gsi2), with the runs' products
    (one BatchGetItem per 100 products)."""
    partition = keys.contract_courseware_gsi2_pk(contract_id)
    links: list[CoursewareLink] = []
    runs: list[CourseRun] = []
    with translate_errors():
        start = decode_cursor(cursor, ("gsi2pk", partition))
        result = TableItem.gsi2.query(partition, limit=limit, last_evaluated_key=start)
        for item in result:
            if isinstance(item, CoursewareLinkItem):
                links.append(to_link(item))
            elif isinstance(item, CourseRunItem):
                runs.append(to_run(item))
        product_keys = [(keys.product_pk(r.product_id), keys.PRODUCT_SK) for r in runs if r.product_id]
        products = {
            int(item.product_id): to_product(item)
            for item in (ProductItem.batch_get(product_keys) if product_keys else [])
        }
    return CoursewareListing(links, runs, products, encode_cursor(result.last_evaluated_key))


def list_all_courseware(contract_id: int) -> tuple[list[CoursewareLink], list[CourseRun]]:
    """Every link and run of a contract (one Query per 1 MB page), without products."""
    links: list[CoursewareLink] = []
    runs: list[CourseRun] = []
    with translate_errors():
        for item in TableItem.gsi2.query(keys.contract_courseware_gsi2_pk(contract_id)):
            if isinstance(item, CoursewareLinkItem):
                links.append(to_link(item))
            elif isinstance(item, CourseRunItem):
                runs.append(to_run(item))
    return links, runs


@dataclass
class DetachmentPlan:
    """What detaching writes: runs to unlink (their products deactivated), guards to delete or
    re-point, and the link to delete."""

    contract_id: int
    runs: list[CourseRun] = field(default_factory=list)
    guards_to_delete: list[str] = field(default_factory=list)  # course ids
    guards_to_repoint: dict[str, str] = field(default_factory=dict)  # course id → remaining run id
    link_id: str | None = None


def write_detachment(plan: DetachmentPlan) -> None:
    """Unlink runs (kept in the catalog, no longer in the contract) and remove the link.

    Each run update is conditional on the run still being in this contract; the writes are split
    into transactions of at most 100 operations.
    """
    operations: list[tuple[str, Any]] = []
    for run in plan.runs:
        operations.append(("run", run))
        if run.product_id is not None:
            operations.append(("product", run.product_id))
    operations += [("guard_delete", course_id) for course_id in plan.guards_to_delete]
    operations += [("guard_repoint", item) for item in plan.guards_to_repoint.items()]
    if plan.link_id is not None:
        operations.append(("link", plan.link_id))
    for start in range(0, len(operations), MAX_TRANSACTION_OPERATIONS):
        tx = Transaction()
        for kind, value in operations[start : start + MAX_TRANSACTION_OPERATIONS]:
            _add_detach_operation(tx, plan.contract_id, kind, value)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise Conflict(
                "the contract's courseware changed while detaching; retry", code=STALE_PLAN
            ) from cancelled


def _add_detach_operation(tx: Transaction, contract_id: int, kind: str, value: Any) -> None:
    if kind == "run":
        item = CourseRunItem(pk=keys.run_pk(value.id), sk=keys.RUN_SK)
        tx.update(
            f"run:{value.id}",
            item,
            [
                CourseRunItem.contract_id.remove(),
                CourseRunItem.attached_via.remove(),
                CourseRunItem.product_id.remove(),
                CourseRunItem.gsi2pk.remove(),
                CourseRunItem.gsi2sk.remove(),
            ],
            CourseRunItem.contract_id == contract_id,
        )
    elif kind == "product":
        product = ProductItem(pk=keys.product_pk(value), sk=keys.PRODUCT_SK)
        tx.update(f"product:{value}", product, [ProductItem.active.set(False)], ProductItem.pk.exists())
    elif kind == "guard_delete":
        guard = ContractCourseItem(pk=keys.contract_pk(contract_id), sk=keys.contract_course_sk(value))
        tx.delete(f"guard:{value}", guard)
    elif kind == "guard_repoint":
        course_id, run_id = value
        guard = ContractCourseItem(pk=keys.contract_pk(contract_id), sk=keys.contract_course_sk(course_id))
        tx.update(
            f"guard:{course_id}",
            guard,
            [ContractCourseItem.run_id.set(run_id)],
            ContractCourseItem.pk.exists(),
        )
    elif kind == "link":
        link = CoursewareLinkItem(pk=keys.contract_pk(contract_id), sk=keys.courseware_link_sk(value))
        tx.delete(f"link:{value}", link)
