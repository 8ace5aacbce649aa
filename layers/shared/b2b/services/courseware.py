"""Courseware of contracts: attaching courses, course runs and programs, detaching them, and
cloning contract runs in Open edX Studio.

- a course becomes one new contract run (self-paced, live, dated from the contract), cloned from
  the course's SOURCE run, else its first run (with a warning);
- a course run is given to the contract unless another contract has it (409);
- a program becomes a run per course, skipping courses the contract already has a run of.

Every contract run gets one product. Every change queues a reconciliation of the contract's codes;
clones are queued for the cloner and never run inside an API request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from b2b import queues
from b2b.db import contracts as contracts_repo
from b2b.db import courseware as repo
from b2b.db import organizations as organizations_repo
from b2b.db import retry
from b2b.domain.courseware import CloneStatus, Course, CourseRun, CoursewareKind, CoursewareLink
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import Contract, Organization, Product, utcnow
from b2b.observability import logger
from b2b.services.catalog import CoursewareId, contract_run_key, parse_courseware_id, parse_id_of
from b2b.settings import get_settings


@dataclass
class Attachment:
    """What attaching did: runs created or assigned, courses skipped, and warnings for the operator."""

    contract_id: int
    courseware_id: str
    kind: CoursewareKind
    created_runs: list[CourseRun] = field(default_factory=list)
    assigned_runs: list[CourseRun] = field(default_factory=list)
    skipped_course_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    linked: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created_runs or self.assigned_runs or self.linked)


def attach_courseware(contract_id: int, courseware_id: str, create_runs: bool = True) -> Attachment:
    """Attach a course, course run or program to a contract (see the module docstring).

    Attaching what is already attached changes nothing. The plan is made from one batched read
    and written in as few transactions as possible; if the contract or its courseware changed in
    between, it is re-read and re-planned.
    """
    parsed = parse_courseware_id(courseware_id)
    # Runs written by part of a split attachment that was then interrupted.
    written: list[CourseRun] = []
    for attempt in range(retry.ATTEMPTS):
        try:
            attachment, contract = _attach_once(contract_id, parsed, create_runs)
        except Conflict as conflict:
            if isinstance(conflict, repo.AttachmentInterrupted):
                written += conflict.committed
            if conflict.code == repo.STALE_PLAN and retry.retry_left(attempt):
                continue
            if written:
                # Part of it is in place: those runs still get their clones, the codes their reconcile.
                _queue_clones(written)
                _queue_reconcile(contracts_repo.get_contract(contract_id))
            raise
        attachment.created_runs = written + attachment.created_runs
        if attachment.changed:
            _queue_clones(attachment.created_runs)
            _queue_reconcile(contract)
        return attachment
    raise AssertionError("unreachable")  # pragma: no cover


def _attach_once(contract_id: int, parsed: CoursewareId, create_runs: bool) -> tuple[Attachment, Contract]:
    if parsed.kind is CoursewareKind.COURSE_RUN:
        return _attach_run(contract_id, parsed.value)
    if parsed.kind is CoursewareKind.COURSE:
        first = repo.read_snapshot(
            contract_id, course_ids=[parsed.value], guard_course_ids=[parsed.value], link_ids=[parsed.value]
        )
        contract = _contract_of(first, contract_id)
        course = first.courses.get(parsed.value)
        if course is None:
            raise NotFound(f"course {parsed.value} is not in the catalog", code="course_not_found")
        return _attach_courses(contract, parsed, [course], first.guards, first.links, create_runs), contract
    first = repo.read_snapshot(contract_id, program_ids=[parsed.value], link_ids=[parsed.value])
    contract = _contract_of(first, contract_id)
    program = first.programs.get(parsed.value)
    if program is None:
        raise NotFound(f"program {parsed.value} is not in the catalog", code="program_not_found")
    second = repo.read_snapshot(
        contract_id,
        include_contract=False,
        course_ids=program.course_ids,
        guard_course_ids=program.course_ids if create_runs else (),
    )
    courses = [second.courses[c] for c in program.course_ids if c in second.courses]
    attachment = _attach_courses(contract, parsed, courses, second.guards, first.links, create_runs)
    return attachment, contract


def _contract_of(snapshot: repo.Snapshot, contract_id: int) -> Contract:
    if snapshot.contract is None:
        raise NotFound(f"contract {contract_id} not found", code="contract_not_found")
    return snapshot.contract


def _attach_courses(  # noqa: PLR0917 - private helper, called once
    contract: Contract,
    parsed: CoursewareId,
    courses: list[Course],
    guards: dict[str, str],
    links: dict[str, CoursewareLink],
    create_runs: bool,
) -> Attachment:
    attachment = Attachment(contract.id, parsed.value, parsed.kind)
    now = utcnow()
    plan = repo.AttachmentPlan(contract.id, contract.version)
    if parsed.value not in links:
        plan.links.append(CoursewareLink(contract.id, parsed.value, parsed.kind, create_runs, now))
    wanted = [c for c in courses if c.id not in guards] if create_runs else []
    attachment.skipped_course_ids = [c.id for c in courses if c.id in guards] if create_runs else []
    if wanted:
        organization = organizations_repo.get_organization(contract.organization_id)
        product_ids = repo.reserve_ids("product", len(wanted))
        for course, product_id in zip(wanted, product_ids, strict=True):
            run = _new_contract_run(contract, organization, course, parsed.value, product_id, now)
            if run.source_run_id is None:
                attachment.warnings.append(
                    f"course {course.id} has no runs: contract run {run.id} was created empty, not cloned"
                )
            elif run.source_run_id != course.source_run_id:
                attachment.warnings.append(
                    f"course {course.id} has no SOURCE run: contract run {run.id} copies its first run "
                    f"{run.source_run_id}"
                )
            plan.new_runs.append((run, _product_for(contract, run, now)))
    try:
        repo.write_attachment(plan)
    except Conflict as conflict:
        if conflict.code != "run_key_taken":
            raise
        if isinstance(conflict, repo.AttachmentInterrupted):
            # Part of the plan is written: plan the rest afresh rather than replay it.
            raise repo.AttachmentInterrupted(
                conflict.message, code=repo.STALE_PLAN, committed=conflict.committed
            ) from conflict
        # A course detached and attached again in the same year meets its kept run: give it back.
        _reuse_kept_runs(contract, plan, now)
        repo.write_attachment(plan)
    attachment.created_runs = [run for run, _ in plan.new_runs]
    attachment.assigned_runs = [run for run, _ in plan.assigned_runs]
    attachment.linked = bool(plan.links)
    return attachment


def _reuse_kept_runs(contract: Contract, plan: repo.AttachmentPlan, now: datetime) -> None:
    """Turn planned runs whose key exists as a free run of the same course into assignments."""
    kept = repo.read_snapshot(
        contract.id, include_contract=False, run_ids=[run.id for run, _ in plan.new_runs]
    ).runs
    still_new: list[tuple[CourseRun, Product]] = []
    for run, product in plan.new_runs:
        existing = kept.get(run.id)
        if existing is None:
            still_new.append((run, product))
            continue
        if existing.contract_id == contract.id:
            # A concurrent attachment just made this run: read again and find nothing to do.
            raise Conflict(f"course run {run.id} was just attached", code=repo.STALE_PLAN)
        if existing.course_id != run.course_id or existing.contract_id is not None:
            raise Conflict(f"course run {run.id} already exists and is not free", code="run_key_taken")
        reused = replace(
            existing, contract_id=contract.id, attached_via=run.attached_via, product_id=product.id
        )
        plan.assigned_runs.append((reused, _product_for(contract, reused, now)))
    plan.new_runs = still_new


def _new_contract_run(  # noqa: PLR0917 - private helper, called once
    contract: Contract,
    organization: Organization,
    course: Course,
    via: str,
    product_id: int,
    now: datetime,
) -> CourseRun:
    number = parse_id_of(course.id, CoursewareKind.COURSE, "courseware_id").number
    key = contract_run_key(organization.org_key_prefix, organization.org_key, number, now.year, contract.id)
    source = course.source_run_id or course.first_run_id
    clone = CloneStatus.PENDING if source and get_settings().clones_enabled else CloneStatus.NOT_REQUESTED
    return CourseRun(
        id=key,
        course_id=course.id,
        run_tag=key.rsplit("+", 1)[1],
        title=course.title,
        # An open-ended contract's runs start now, so learners can get in straight away.
        start=contract.start or now,
        end=contract.end,
        self_paced=True,
        live=True,
        created_at=now,
        contract_id=contract.id,
        attached_via=via,
        product_id=product_id,
        source_run_id=source,
        clone_status=clone,
    )


def _product_for(contract: Contract, run: CourseRun, now: datetime) -> Product:
    assert run.product_id is not None
    return Product(
        id=run.product_id,
        contract_id=contract.id,
        run_id=run.id,
        course_id=run.course_id,
        title=run.title or run.id,
        price=contract.price if contract.price is not None else Decimal("0"),
        active=True,
        created_at=now,
        run_start=run.start,
        run_end=run.end,
    )


def _attach_run(contract_id: int, run_id: str) -> tuple[Attachment, Contract]:
    snapshot = repo.read_snapshot(contract_id, run_ids=[run_id], link_ids=[run_id])
    contract = _contract_of(snapshot, contract_id)
    run = snapshot.runs.get(run_id)
    if run is None:
        raise NotFound(f"course run {run_id} is not in the catalog", code="course_run_not_found")
    attachment = Attachment(contract.id, run_id, CoursewareKind.COURSE_RUN)
    if run.contract_id is not None and run.contract_id != contract.id:
        raise Conflict(
            f"course run {run_id} already belongs to contract {run.contract_id}", code="course_run_assigned"
        )
    now = utcnow()
    plan = repo.AttachmentPlan(contract.id, contract.version)
    if run_id not in snapshot.links:
        plan.links.append(CoursewareLink(contract.id, run_id, CoursewareKind.COURSE_RUN, False, now))
    if run.contract_id is None:
        [product_id] = repo.reserve_ids("product", 1)
        assigned = replace(run, contract_id=contract.id, attached_via=run_id, product_id=product_id)
        plan.assigned_runs.append((assigned, _product_for(contract, assigned, now)))
    repo.write_attachment(plan)
    attachment.assigned_runs = [r for r, _ in plan.assigned_runs]
    attachment.linked = bool(plan.links)
    return attachment, contract


@dataclass
class CoursewareView:
    """One page of a contract's courseware: its links, its runs and their products."""

    contract_id: int
    links: list[CoursewareLink]
    runs: list[CourseRun]
    products: dict[int, Product]
    next_cursor: str | None


def list_courseware(contract_id: int, limit: int, cursor: str | None) -> CoursewareView:
    """A page of the contract's courseware; an unknown contract is a 404."""
    listing = repo.list_courseware(contract_id, limit, cursor)
    if not listing.links and not listing.runs and cursor is None:
        # Only an empty first page costs the extra read that tells "none yet" from "no contract".
        contracts_repo.get_contract(contract_id)
    return CoursewareView(contract_id, listing.links, listing.runs, listing.products, listing.next_cursor)


def detach_courseware(contract_id: int, courseware_id: str) -> list[CourseRun]:
    """Unlink courseware from a contract; its runs stay in the catalog but leave the contract, and
    their products are deactivated. Returns the runs unlinked.

    A course takes every contract run of that course with it, a program the runs it created, a run
    itself. 404 when the contract has no such courseware.
    """
    parsed = parse_courseware_id(courseware_id)
    contract = contracts_repo.get_contract(contract_id)
    for attempt in range(retry.ATTEMPTS):
        try:
            leaving = _detach_once(contract_id, parsed, courseware_id)
        except Conflict as conflict:
            if conflict.code == repo.STALE_PLAN and retry.retry_left(attempt):
                continue
            raise
        _queue_reconcile(contract)
        return leaving
    raise AssertionError("unreachable")  # pragma: no cover


def _detach_once(contract_id: int, parsed: CoursewareId, courseware_id: str) -> list[CourseRun]:
    links, runs = repo.list_all_courseware(contract_id)
    if parsed.kind is CoursewareKind.COURSE:
        leaving = [r for r in runs if r.course_id == parsed.value]
    elif parsed.kind is CoursewareKind.PROGRAM:
        leaving = [r for r in runs if r.attached_via == parsed.value]
    else:
        leaving = [r for r in runs if r.id == parsed.value]
    linked = any(link.courseware_id == parsed.value for link in links)
    if not leaving and not linked:
        raise NotFound(
            f"contract {contract_id} has no courseware {courseware_id}", code="courseware_not_attached"
        )
    plan = repo.DetachmentPlan(contract_id, runs=leaving, link_id=parsed.value if linked else None)
    leaving_ids = {r.id for r in leaving}
    for course_id in sorted({r.course_id for r in leaving}):
        staying = [r.id for r in runs if r.course_id == course_id and r.id not in leaving_ids]
        if staying:
            plan.guards_to_repoint[course_id] = staying[0]
        else:
            plan.guards_to_delete.append(course_id)
    repo.write_detachment(plan)
    return leaving


def _queue_clones(runs: list[CourseRun]) -> None:
    pending = [
        queues.CloneRunRequest(run_id=r.id, contract_id=r.contract_id or 0)
        for r in runs
        if r.clone_status is CloneStatus.PENDING
    ]
    try:
        queues.request_clones(pending)
    except Exception:
        # The runs are saved as pending; re-queueing them is an operator's redrive.
        logger.exception("could not queue clones", extra={"runs": [r.run_id for r in pending]})


def _queue_reconcile(contract: Contract) -> None:
    request = queues.ReconcileRequest(
        contract_id=contract.id, reason="courseware_changed", contract_version=contract.version
    )
    try:
        queues.request_reconcile(request)
    except Exception:
        # The courseware is saved; the scheduled drift sweep (services.code_repair) queues it again.
        logger.exception("could not queue reconciliation", extra={"contract_id": contract.id})
