"""Catalog repository: courses, course runs and programs, each one item under its readable id.

Registering a run also records it on its course (the first run, and the SOURCE run) in the same
transaction, so attaching courseware never has to search a course's runs for the one to clone.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from b2b.db import keys
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import CourseItem, CourseRunItem, ProgramItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from b2b.domain.model import CloneStatus, Course, CourseRun, Page, Program

SOURCE_RUN_TAG = "SOURCE"
# A program's courses are condition-checked in its creation transaction (100 operations at most).
MAX_PROGRAM_COURSES = 99


def to_course(item: CourseItem) -> Course:
    return Course(
        id=item.course_id,
        title=item.title,
        source_run_id=item.source_run_id,
        first_run_id=item.first_run_id,
        created_at=item.created_at,
    )


def to_run(item: CourseRunItem) -> CourseRun:
    return CourseRun(
        id=item.run_id,
        course_id=item.course_id,
        run_tag=item.run_tag,
        title=item.title,
        start=item.start,
        end=item.end,
        self_paced=bool(item.self_paced),
        live=bool(item.live),
        created_at=item.created_at,
        contract_id=int(item.contract_id) if item.contract_id is not None else None,
        attached_via=item.attached_via,
        product_id=int(item.product_id) if item.product_id is not None else None,
        source_run_id=item.source_run_id,
        clone_status=CloneStatus(item.clone_status),
        clone_error=item.clone_error,
        clone_attempts=int(item.clone_attempts or 0),
    )


def to_program(item: ProgramItem) -> Program:
    return Program(
        id=item.program_id,
        title=item.title,
        course_ids=[str(c) for c in item.course_ids or []],
        created_at=item.created_at,
    )


def run_item(run: CourseRun) -> CourseRunItem:
    """The item for ``run`` (unassigned: contract fields are set by the courseware writes)."""
    return CourseRunItem(
        pk=keys.run_pk(run.id),
        sk=keys.RUN_SK,
        gsi1pk=keys.CATALOG_RUNS_GSI1_PK,
        gsi1sk=keys.catalog_run_gsi1_sk(run.course_id, run.id),
        run_id=run.id,
        course_id=run.course_id,
        run_tag=run.run_tag,
        title=run.title,
        start=run.start,
        end=run.end,
        self_paced=run.self_paced,
        live=run.live,
        source_run_id=run.source_run_id,
        clone_status=run.clone_status.value,
        created_at=run.created_at,
    )


def create_course(course: Course) -> Course:
    """Store a new catalog course; 409 when the id is taken."""
    item = CourseItem(
        pk=keys.course_pk(course.id),
        sk=keys.COURSE_SK,
        gsi1pk=keys.CATALOG_COURSES_GSI1_PK,
        gsi1sk=keys.catalog_course_gsi1_sk(course.id),
        course_id=course.id,
        title=course.title,
        created_at=course.created_at,
    )
    with translate_errors(f"course {course.id} already exists"):
        item.save(condition=CourseItem.pk.does_not_exist())
    return course


def create_run(run: CourseRun) -> CourseRun:
    """Store a new catalog run and record it on its course (one transaction).

    The course must exist; a SOURCE run is refused when the course already has one.
    """
    tx = Transaction()
    tx.put("run", run_item(run), CourseRunItem.pk.does_not_exist())
    course = CourseItem(pk=keys.course_pk(run.course_id), sk=keys.COURSE_SK)
    actions: list[Any] = [CourseItem.first_run_id.set(CourseItem.first_run_id | run.id)]
    condition = CourseItem.pk.exists()
    if run.run_tag == SOURCE_RUN_TAG:
        actions.append(CourseItem.source_run_id.set(run.id))
        condition &= CourseItem.source_run_id.does_not_exist()
    tx.update("course", course, actions, condition)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("run"):
            raise Conflict(f"course run {run.id} already exists", code="course_run_exists") from cancelled
        if cancelled.failed("course"):
            _raise_course_problem(run)
        raise Conflict("the course run could not be registered; retry") from cancelled
    return run


def _raise_course_problem(run: CourseRun) -> None:
    try:
        course = get_course(run.course_id)
    except NotFound:
        raise InvalidInput(
            f"course_id: course {run.course_id} is not in the catalog",
            details=[ErrorDetail("course_id", "is not in the catalog")],
            code="course_not_found",
        ) from None
    raise Conflict(
        f"course {course.id} already has a source run ({course.source_run_id})", code="source_run_exists"
    )


def _check_courses(tx: Transaction, course_ids: list[str]) -> None:
    for index, course_id in enumerate(course_ids):
        tx.condition_check(
            f"course:{index}", CourseItem, keys.course_pk(course_id), keys.COURSE_SK, CourseItem.pk.exists()
        )


def _raise_missing_courses(cancelled: TransactionCancelled, course_ids: list[str]) -> None:
    missing = [
        ErrorDetail(f"course_ids.{i}", f"course {c} is not in the catalog")
        for i, c in enumerate(course_ids)
        if cancelled.failed(f"course:{i}")
    ]
    if missing:
        raise InvalidInput(
            "; ".join(f"{d.field}: {d.message}" for d in missing), details=missing, code="course_not_found"
        ) from cancelled


def create_program(program: Program) -> Program:
    """Store a new program whose courses all exist (checked in the same transaction)."""
    tx = Transaction()
    item = ProgramItem(
        pk=keys.program_pk(program.id),
        sk=keys.PROGRAM_SK,
        gsi1pk=keys.CATALOG_PROGRAMS_GSI1_PK,
        gsi1sk=keys.catalog_program_gsi1_sk(program.id),
        program_id=program.id,
        title=program.title,
        course_ids=program.course_ids,
        created_at=program.created_at,
    )
    tx.put("program", item, ProgramItem.pk.does_not_exist())
    _check_courses(tx, program.course_ids)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("program"):
            raise Conflict(f"program {program.id} already exists", code="program_exists") from cancelled
        _raise_missing_courses(cancelled, program.course_ids)
        raise Conflict("the program could not be registered; retry") from cancelled
    return program


# --- changes ----------------------------------------------------------------------------------


def update_course_title(course_id: str, title: str) -> Course:
    """Retitle a catalog course (one conditional UpdateItem; 404 when it is not in the catalog)."""
    item = CourseItem(pk=keys.course_pk(course_id), sk=keys.COURSE_SK)
    with translate_errors():
        try:
            item.update(actions=[CourseItem.title.set(title)], condition=CourseItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                raise NotFound(f"course {course_id} not found", code="course_not_found") from exc
            raise
    return to_course(item)


_RUN_FIELDS = ("title", "start", "end", "self_paced", "live")


def update_run(current: CourseRun, updated: CourseRun) -> CourseRun:
    """Store the changed descriptive fields of a run, fenced on the run's dates as they were read
    (the caller judged ``end > start`` on them); 409 when they changed meanwhile or the run is gone."""
    attributes = {name: getattr(CourseRunItem, name) for name in _RUN_FIELDS}
    actions: list[Any] = []
    for name, attribute in attributes.items():
        value = getattr(updated, name)
        if value == getattr(current, name):
            continue
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if not actions:
        return current
    condition = CourseRunItem.pk.exists()
    for name in ("start", "end"):
        read = getattr(current, name)
        attribute = attributes[name]
        condition &= attribute.does_not_exist() if read is None else attribute == read
    item = CourseRunItem(pk=keys.run_pk(current.id), sk=keys.RUN_SK)
    with translate_errors(f"course run {current.id} changed meanwhile; reload and retry"):
        item.update(actions=actions, condition=condition)
    return to_run(item)


def update_program(current: Program, updated: Program) -> Program:
    """Store a program's new title or courses; new courses must exist (checked in the same
    transaction) and the course list must be the one that was read."""
    tx = Transaction()
    item = ProgramItem(pk=keys.program_pk(current.id), sk=keys.PROGRAM_SK)
    tx.update(
        "program",
        item,
        [ProgramItem.title.set(updated.title), ProgramItem.course_ids.set(updated.course_ids)],  # type: ignore[arg-type]
        ProgramItem.course_ids == current.course_ids,
    )
    added = [c for c in updated.course_ids if c not in current.course_ids]
    _check_courses(tx, added)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("program"):
            raise Conflict(
                f"program {current.id} changed meanwhile; reload and retry", code="program_changed"
            ) from cancelled
        _raise_missing_courses(cancelled, added)
        raise Conflict("the program could not be changed; retry") from cancelled
    return updated


def get_course(course_id: str) -> Course:
    """One GetItem by id."""
    with translate_errors():
        try:
            return to_course(CourseItem.get(keys.course_pk(course_id), keys.COURSE_SK))
        except DoesNotExist as exc:
            raise NotFound(f"course {course_id} not found", code="course_not_found") from exc


def get_run(run_id: str) -> CourseRun:
    """One GetItem by id."""
    with translate_errors():
        try:
            return to_run(CourseRunItem.get(keys.run_pk(run_id), keys.RUN_SK))
        except DoesNotExist as exc:
            raise NotFound(f"course run {run_id} not found", code="course_run_not_found") from exc


def get_program(program_id: str) -> Program:
    """One GetItem by id."""
    with translate_errors():
        try:
            return to_program(ProgramItem.get(keys.program_pk(program_id), keys.PROGRAM_SK))
        except DoesNotExist as exc:
            raise NotFound(f"program {program_id} not found", code="program_not_found") from exc


def list_courses(limit: int, cursor: str | None) -> Page[Course]:
    """One Query per page on gsi1."""
    partition = keys.CATALOG_COURSES_GSI1_PK
    with translate_errors():
        start = decode_cursor(cursor, ("gsi1pk", partition))
        result = CourseItem.gsi1.query(partition, limit=limit, last_evaluated_key=start)
        items = [to_course(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def list_runs(course_id: str | None, limit: int, cursor: str | None) -> Page[CourseRun]:
    """One Query per page on gsi1: every run, or one course's runs (a sort-key prefix)."""
    partition = keys.CATALOG_RUNS_GSI1_PK
    with translate_errors():
        start = decode_cursor(cursor, ("gsi1pk", partition))
        range_condition = (
            CourseRunItem.gsi1sk.startswith(keys.course_runs_gsi1_prefix(course_id)) if course_id else None
        )
        result = CourseRunItem.gsi1.query(partition, range_condition, limit=limit, last_evaluated_key=start)
        items = [to_run(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def list_programs(limit: int, cursor: str | None) -> Page[Program]:
    """One Query per page on gsi1."""
    partition = keys.CATALOG_PROGRAMS_GSI1_PK
    with translate_errors():
        start = decode_cursor(cursor, ("gsi1pk", partition))
        result = ProgramItem.gsi1.query(partition, limit=limit, last_evaluated_key=start)
        items = [to_program(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))
