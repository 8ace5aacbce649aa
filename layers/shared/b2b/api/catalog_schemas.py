"""Request and response bodies of the catalog and courseware routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from b2b.api.base import PatchBody, Schema, StrictBody, not_null
from b2b.api.schemas import Price, UtcDatetime
from b2b.domain.courseware import CloneStatus, Course, CourseRun, CoursewareKind, CoursewareLink, Program
from b2b.domain.model import Product
from b2b.services.courseware import Attachment, CoursewareView

ReadableId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    Field(description="Open edX readable id, e.g. course-v1:UAI_SOURCE+14.100x"),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


# --- catalog ---------------------------------------------------------------------------------


class CourseCreate(StrictBody):
    course_id: ReadableId
    title: Title = ""


class CourseOut(Schema):
    course_id: str
    title: str
    source_run_id: str | None
    first_run_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, course: Course) -> CourseOut:
        return cls(
            course_id=course.id,
            title=course.title,
            source_run_id=course.source_run_id,
            first_run_id=course.first_run_id,
            created_at=course.created_at,
        )


class CoursePatch(StrictBody):
    title: Title


class CourseRunCreate(StrictBody):
    run_id: ReadableId
    course_id: ReadableId | None = Field(None, description="defaults to the course the run id names")
    title: Title = ""
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    self_paced: bool = False
    live: bool = False


class CourseRunPatch(PatchBody):
    """Fields to change; ``null`` removes start or end. The id, course and run tag stay as registered."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Spring 2027", "end": None}]})

    title: Title | None = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    self_paced: bool | None = None
    live: bool | None = None

    @field_validator("title", "self_paced", "live")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return not_null(value)


class CourseRunOut(Schema):
    """A catalog run; ``clone_status`` is one of not_requested, pending, cloned, failed."""

    run_id: str
    course_id: str
    run_tag: str
    title: str
    start: datetime | None
    end: datetime | None
    self_paced: bool
    live: bool
    contract_id: int | None
    source_run_id: str | None
    clone_status: CloneStatus
    clone_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, run: CourseRun) -> CourseRunOut:
        return cls(
            run_id=run.id,
            course_id=run.course_id,
            run_tag=run.run_tag,
            title=run.title,
            start=run.start,
            end=run.end,
            self_paced=run.self_paced,
            live=run.live,
            contract_id=run.contract_id,
            source_run_id=run.source_run_id,
            # "cloning" is the cloner's lease, an internal step: to an operator the run is still pending.
            clone_status=CloneStatus.PENDING if run.clone_status is CloneStatus.CLONING else run.clone_status,
            clone_error=run.clone_error,
            created_at=run.created_at,
        )


class ProgramCreate(StrictBody):
    program_id: ReadableId
    title: Title = ""
    course_ids: list[ReadableId] = Field(description="required courses, in order", max_length=99)


class ProgramPatch(PatchBody):
    title: Title | None = None
    course_ids: list[ReadableId] | None = Field(None, description="required courses, in order", max_length=99)

    @field_validator("title", "course_ids")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return not_null(value)


class ProgramOut(Schema):
    program_id: str
    title: str
    course_ids: list[str]
    created_at: datetime

    @classmethod
    def of(cls, program: Program) -> ProgramOut:
        return cls(
            program_id=program.id,
            title=program.title,
            course_ids=program.course_ids,
            created_at=program.created_at,
        )


# --- courseware of a contract ----------------------------------------------------------------


class CoursewareAttach(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"courseware_id": "course-v1:UAI_SOURCE+14.100x", "create_runs": True}]
        }
    )

    courseware_id: ReadableId
    create_runs: bool = Field(True, description="false records the link only (a course shell)")


class ContractProductOut(Schema):
    product_id: int
    price: Price
    active: bool

    @classmethod
    def of(cls, product: Product) -> ContractProductOut:
        return cls(product_id=product.id, price=product.price, active=product.active)


class ContractRunOut(CourseRunOut):
    attached_via: str | None
    product: ContractProductOut | None

    @classmethod
    def of_contract_run(cls, run: CourseRun, product: Product | None) -> ContractRunOut:
        base = CourseRunOut.of(run).model_dump()
        return cls(
            **base,
            attached_via=run.attached_via,
            product=ContractProductOut.of(product) if product else None,
        )


class CoursewareLinkOut(Schema):
    courseware_id: str
    kind: CoursewareKind
    runs_created: bool
    attached_at: datetime

    @classmethod
    def of(cls, link: CoursewareLink) -> CoursewareLinkOut:
        return cls(
            courseware_id=link.courseware_id,
            kind=link.kind,
            runs_created=link.runs_created,
            attached_at=link.attached_at,
        )


class AttachmentOut(Schema):
    contract_id: int
    courseware_id: str
    kind: CoursewareKind
    created_runs: list[CourseRunOut]
    assigned_runs: list[CourseRunOut]
    skipped_course_ids: list[str]
    warnings: list[str]

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentOut:
        return cls(
            contract_id=attachment.contract_id,
            courseware_id=attachment.courseware_id,
            kind=attachment.kind,
            created_runs=[CourseRunOut.of(r) for r in attachment.created_runs],
            assigned_runs=[CourseRunOut.of(r) for r in attachment.assigned_runs],
            skipped_course_ids=attachment.skipped_course_ids,
            warnings=attachment.warnings,
        )


class CoursewareOut(Schema):
    """One page of a contract's courseware; ``next_cursor`` pages links and runs together."""

    contract_id: int
    links: list[CoursewareLinkOut]
    runs: list[ContractRunOut]
    next_cursor: str | None

    @classmethod
    def of(cls, view: CoursewareView) -> CoursewareOut:
        return cls(
            contract_id=view.contract_id,
            links=[CoursewareLinkOut.of(link) for link in view.links],
            runs=[
                ContractRunOut.of_contract_run(
                    run, view.products.get(run.product_id) if run.product_id else None
                )
                for run in view.runs
            ],
            next_cursor=view.next_cursor,
        )


class DetachmentOut(Schema):
    contract_id: int
    courseware_id: str
    unlinked_runs: list[str]
