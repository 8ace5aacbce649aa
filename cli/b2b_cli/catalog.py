"""`b2b catalog …`: register courses, course runs and programs."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from b2b_cli import inputs
from b2b_cli.inputs import JsonFlag
from b2b_cli.output import emit_json, record
from b2b_cli.session import as_dict, call, usage

app = typer.Typer(help="Register catalog entries: courses, course runs, programs.", no_args_is_help=True)

# course-v1:ORG+NUMBER+RUN → the course is course-v1:ORG+NUMBER and the run tag RUN.
_RUN_KEY = re.compile(r"^(?P<course>course-v1:[^+]+\+[^+]+)\+(?P<tag>[^+]+)$")


def _show(title: str, result: Any, as_json: bool) -> None:
    if as_json:
        emit_json(result)
    else:
        record(title, as_dict(result))


@app.command(
    "add-course", epilog='Example: b2b catalog add-course course-v1:UAI_SOURCE+14.100x "Microeconomics"'
)
def add_course(
    ctx: typer.Context,
    course_id: Annotated[str, typer.Argument(help="Readable course id, e.g. course-v1:UAI_SOURCE+14.100x.")],
    title: Annotated[str, typer.Argument(help="Course title.")],
    as_json: JsonFlag = False,
) -> None:
    """Register a course in the catalog."""
    result = call(ctx, lambda api: api.post("/v1/catalog/courses", {"course_id": course_id, "title": title}))
    _show(f"Course {course_id} registered", result, as_json)


@app.command(
    "add-run",
    epilog="Example: b2b catalog add-run course-v1:UAI_SOURCE+14.100x+SOURCE --start 2026-01-05",
)
def add_run(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Readable run id, e.g. course-v1:UAI_SOURCE+14.100x+SOURCE.")],
    course_id: Annotated[
        str | None, typer.Option("--course", help="Course id (default: the run id without its run tag).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Start date/time, ISO 8601.")] = None,
    end: Annotated[str | None, typer.Option(help="End date/time, ISO 8601.")] = None,
    title: Annotated[str | None, typer.Option(help="Run title (default: the course's).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a course run in the catalog (its run tag is the last part of its id; SOURCE marks the source run)."""
    parsed = _RUN_KEY.match(run_id)
    course_id = course_id or (parsed["course"] if parsed else None)
    if course_id is None:
        raise usage(f"cannot tell the course from {run_id!r}: give --course", "--course")
    body: dict[str, Any] = {"run_id": run_id, "course_id": course_id}
    optional = {"start": inputs.when(start, "--start"), "end": inputs.when(end, "--end"), "title": title}
    body |= {key: value for key, value in optional.items() if value is not None}
    result = call(ctx, lambda api: api.post("/v1/catalog/course-runs", body))
    _show(f"Course run {run_id} registered", result, as_json)


@app.command(
    "add-program",
    epilog=(
        'Example: b2b catalog add-program program-v1:UAI+DS "Data Science" '
        "course-v1:UAI_SOURCE+6.86x course-v1:UAI_SOURCE+18.6501x"
    ),
)
def add_program(
    ctx: typer.Context,
    program_id: Annotated[str, typer.Argument(help="Readable program id.")],
    title: Annotated[str, typer.Argument(help="Program title.")],
    courses: Annotated[list[str], typer.Argument(help="Course ids the program requires, in order.")],
    as_json: JsonFlag = False,
) -> None:
    """Register a program and the courses it requires."""
    body = {"program_id": program_id, "title": title, "course_ids": courses}
    result = call(ctx, lambda api: api.post("/v1/catalog/programs", body))
    _show(f"Program {program_id} registered", result, as_json)
