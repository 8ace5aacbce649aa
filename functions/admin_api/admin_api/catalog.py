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
    CourseRunCreate,
    CourseRunOut,
    ProgramCreate,
    ProgramOut,
)
from b2b.api.resolver import PageCursor, PageLimit, page_size
from b2b.services import catalog

router = APIGatewayHttpRouter()


def _created[T](body: T, location: str) -> Response[T]:
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Location": location},
    )


@router.post("/v1/catalog/courses", tags=["catalog"])
def register_course(payload: Annotated[CourseCreate, Body()]) -> Response[CourseOut]:
    course = catalog.register_course(payload.course_id, payload.title)
    return _created(CourseOut.of(course), "/v1/catalog/courses")


@router.get("/v1/catalog/courses", tags=["catalog"])
def list_courses(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[CourseOut]:
    page = catalog.list_courses(page_size(limit), cursor)
    return PageOut[CourseOut].of(page, CourseOut.of)


@router.post("/v1/catalog/course-runs", tags=["catalog"])
def register_course_run(payload: Annotated[CourseRunCreate, Body()]) -> Response[CourseRunOut]:
    run = catalog.register_run(**payload.model_dump())
    return _created(CourseRunOut.of(run), "/v1/catalog/course-runs")


@router.get("/v1/catalog/course-runs", tags=["catalog"])
def list_course_runs(
    course_id: Annotated[str | None, Query(max_length=255, description="only this course's runs")] = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PageOut[CourseRunOut]:
    page = catalog.list_runs(course_id, page_size(limit), cursor)
    return PageOut[CourseRunOut].of(page, CourseRunOut.of)


@router.post("/v1/catalog/programs", tags=["catalog"])
def register_program(payload: Annotated[ProgramCreate, Body()]) -> Response[ProgramOut]:
    program = catalog.register_program(payload.program_id, payload.course_ids, payload.title)
    return _created(ProgramOut.of(program), "/v1/catalog/programs")


@router.get("/v1/catalog/programs", tags=["catalog"])
def list_programs(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[ProgramOut]:
    page = catalog.list_programs(page_size(limit), cursor)
    return PageOut[ProgramOut].of(page, ProgramOut.of)
