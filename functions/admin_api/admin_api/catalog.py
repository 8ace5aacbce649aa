"""Admin routes for the catalog: courses, course runs and programs."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.catalog_schemas import (
    CourseCreate,
    CourseOut,
    CoursePatch,
    CourseRunCreate,
    CourseRunOut,
    CourseRunPatch,
    ProgramCreate,
    ProgramOut,
    ProgramPatch,
)
from b2b.api.openapi import operation
from b2b.api.resolver import PageCursor, PageLimit, ReadableIdPath, page_size, readable_id
from b2b.services import catalog

router = APIGatewayHttpRouter()


def _created[T](body: T, location: str) -> Response[T]:
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Location": location},
    )


@router.post(
    "/v1/catalog/courses",
    **operation(
        "Register a course",
        "Adds a course to the catalog by its Open edX id; registering it again changes nothing.",
        role="admin",
        tag="catalog",
        ok=201,
        ok_description="Registered.",
    ),
)
def register_course(payload: Annotated[CourseCreate, Body()]) -> Response[CourseOut]:
    course = catalog.register_course(payload.course_id, payload.title)
    return _created(CourseOut.of(course), "/v1/catalog/courses")


@router.get(
    "/v1/catalog/courses",
    **operation("List courses", "Pages through the catalog's courses.", role="admin", tag="catalog"),
)
def list_courses(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[CourseOut]:
    page = catalog.list_courses(page_size(limit), cursor)
    return PageOut[CourseOut].of(page, CourseOut.of)


@router.patch(
    "/v1/catalog/courses/<course_id>",
    **operation(
        "Retitle a course",
        "Changes a catalog course's title; its id stays. Percent-encode `+` and `:` in the id if "
        "your client needs to.",
        role="admin",
        tag="catalog",
        errors={404: "The course is not in the catalog (`course_not_found`)."},
    ),
)
def change_course(course_id: ReadableIdPath, payload: Annotated[CoursePatch, Body()]) -> CourseOut:
    return CourseOut.of(catalog.change_course(readable_id(course_id), payload.title))


@router.post(
    "/v1/catalog/course-runs",
    **operation(
        "Register a course run",
        "Adds a run of a catalog course; a run tagged `SOURCE` is the one copied for contracts.",
        role="admin",
        tag="catalog",
        ok=201,
        ok_description="Registered.",
        errors={
            404: "The run's course is not in the catalog (`course_not_found`).",
            409: "The run is already registered (`course_run_exists`), or the course already has a "
            "source run (`source_run_exists`).",
        },
    ),
)
def register_course_run(payload: Annotated[CourseRunCreate, Body()]) -> Response[CourseRunOut]:
    run = catalog.register_run(**payload.model_dump())
    return _created(CourseRunOut.of(run), "/v1/catalog/course-runs")


@router.get(
    "/v1/catalog/course-runs",
    **operation(
        "List course runs",
        "Pages through the catalog's runs, or one course's with `course_id`.",
        role="admin",
        tag="catalog",
    ),
)
def list_course_runs(
    course_id: Annotated[str | None, Query(max_length=255, description="only this course's runs")] = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PageOut[CourseRunOut]:
    page = catalog.list_runs(course_id, page_size(limit), cursor)
    return PageOut[CourseRunOut].of(page, CourseRunOut.of)


@router.patch(
    "/v1/catalog/course-runs/<run_id>",
    **operation(
        "Change a course run",
        "Changes a run's title, dates or pacing (`null` removes a date); its id, course and run tag "
        "stay. The end must stay after the start.",
        role="admin",
        tag="catalog",
        errors={
            404: "The run is not in the catalog (`course_run_not_found`).",
            409: "The run's dates changed while this change was judged; reload and retry.",
        },
    ),
)
def change_course_run(run_id: ReadableIdPath, payload: Annotated[CourseRunPatch, Body()]) -> CourseRunOut:
    return CourseRunOut.of(catalog.change_run(readable_id(run_id), payload.changes()))


@router.post(
    "/v1/catalog/programs",
    **operation(
        "Register a program",
        "Adds a program: an ordered list of catalog courses.",
        role="admin",
        tag="catalog",
        ok=201,
        ok_description="Registered.",
        errors={
            404: "A listed course is not in the catalog (`course_not_found`).",
            409: "The program is already registered (`program_exists`).",
        },
    ),
)
def register_program(payload: Annotated[ProgramCreate, Body()]) -> Response[ProgramOut]:
    program = catalog.register_program(payload.program_id, payload.course_ids, payload.title)
    return _created(ProgramOut.of(program), "/v1/catalog/programs")


@router.get(
    "/v1/catalog/programs",
    **operation("List programs", "Pages through the catalog's programs.", role="admin", tag="catalog"),
)
def list_programs(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[ProgramOut]:
    page = catalog.list_programs(page_size(limit), cursor)
    return PageOut[ProgramOut].of(page, ProgramOut.of)


@router.patch(
    "/v1/catalog/programs/<program_id>",
    **operation(
        "Change a program",
        "Changes a program's title or its ordered courses. Contracts that already have the program "
        "keep their runs; attaching it again adds runs for courses it gained.",
        role="admin",
        tag="catalog",
        errors={
            404: "The program, or a listed course, is not in the catalog (`program_not_found`, "
            "`course_not_found`).",
            409: "The program's courses changed while this change was judged (`program_changed`).",
        },
    ),
)
def change_program(program_id: ReadableIdPath, payload: Annotated[ProgramPatch, Body()]) -> ProgramOut:
    return ProgramOut.of(catalog.change_program(readable_id(program_id), payload.changes()))
