"""Catalog rules: readable ids as Open edX writes them, and registering courses, runs and programs.

- course: ``course-v1:ORG+NUMBER``
- course run: ``course-v1:ORG+NUMBER+RUN`` (the run tag ``SOURCE`` marks the run contracts copy)
- program: ``program-v1:ORG+NAME``
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from b2b.db import catalog as repo
from b2b.domain.errors import InvalidInput
from b2b.domain.model import Course, CourseRun, CoursewareKind, Page, Program, utcnow

COURSE_PREFIX = "course-v1:"
SOURCE_RUN_TAG = repo.SOURCE_RUN_TAG
MAX_ID_LENGTH = 255
# One part of a key: what Open edX accepts, minus the separators ':' and '+'.
_PART = r"[A-Za-z0-9_.~\-]+"
_COURSE_ID = re.compile(rf"^course-v1:(?P<org>{_PART})\+(?P<number>{_PART})$")
_RUN_ID = re.compile(rf"^course-v1:(?P<org>{_PART})\+(?P<number>{_PART})\+(?P<run>{_PART})$")
_PROGRAM_ID = re.compile(rf"^program-v1:{_PART}\+{_PART}$")


@dataclass(frozen=True)
class CoursewareId:
    """A parsed readable id: what kind of courseware it names, and its parts."""

    value: str
    kind: CoursewareKind
    org: str = ""
    number: str = ""
    run_tag: str = ""

    @property
    def course_id(self) -> str:
        """The course a course or run id belongs to by its key (``course-v1:ORG+NUMBER``)."""
        return f"{COURSE_PREFIX}{self.org}+{self.number}"


def parse_courseware_id(value: str, field_name: str = "courseware_id") -> CoursewareId:
    """Parse a course, course run or program id; anything else is an :class:`InvalidInput`."""
    if len(value) <= MAX_ID_LENGTH:
        if match := _COURSE_ID.match(value):
            return CoursewareId(value, CoursewareKind.COURSE, match["org"], match["number"])
        if match := _RUN_ID.match(value):
            return CoursewareId(value, CoursewareKind.COURSE_RUN, match["org"], match["number"], match["run"])
        if _PROGRAM_ID.match(value):
            return CoursewareId(value, CoursewareKind.PROGRAM)
    raise InvalidInput.for_field(
        field_name,
        "must be a course (course-v1:ORG+NUMBER), a course run (course-v1:ORG+NUMBER+RUN) "
        "or a program (program-v1:ORG+NAME) id",
    )


def parse_id_of(value: str, kind: CoursewareKind, field_name: str) -> CoursewareId:
    """Parse an id that must name courseware of ``kind``."""
    parsed = parse_courseware_id(value, field_name)
    if parsed.kind is not kind:
        raise InvalidInput.for_field(field_name, f"must be a {kind.value.replace('_', ' ')} id")
    return parsed


def contract_run_key(
    org_key_prefix: str, org_key: str, course_number: str, year: int, contract_id: int
) -> str:
    """The readable key of a contract run: ``course-v1:{prefix}{org_key}+{number}+{year}_C{contract}``."""
    return f"{COURSE_PREFIX}{org_key_prefix}{org_key}+{course_number}+{year}_C{contract_id}"


def register_course(course_id: str, title: str = "") -> Course:
    """Add a course to the catalog (409 when the id is taken)."""
    parse_id_of(course_id, CoursewareKind.COURSE, "course_id")
    return repo.create_course(
        Course(id=course_id, title=title, source_run_id=None, first_run_id=None, created_at=utcnow())
    )


def register_run(
    *,
    run_id: str,
    course_id: str | None = None,
    title: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    self_paced: bool = False,
    live: bool = False,
) -> CourseRun:
    """Add a run of a catalog course. The course defaults to the one the run's key names; the
    run tag is the key's last part (``SOURCE`` makes it the course's source run)."""
    parsed = parse_id_of(run_id, CoursewareKind.COURSE_RUN, "run_id")
    course = course_id or parsed.course_id
    parse_id_of(course, CoursewareKind.COURSE, "course_id")
    if start is not None and end is not None and end <= start:
        raise InvalidInput.for_field("end", "must be after start")
    return repo.create_run(
        CourseRun(
            id=run_id,
            course_id=course,
            run_tag=parsed.run_tag,
            title=title,
            start=start,
            end=end,
            self_paced=self_paced,
            live=live,
            created_at=utcnow(),
        )
    )


def register_program(program_id: str, course_ids: list[str], title: str = "") -> Program:
    """Add a program: its required courses, in order; each must be in the catalog, once."""
    parse_id_of(program_id, CoursewareKind.PROGRAM, "program_id")
    return repo.create_program(
        Program(id=program_id, title=title, course_ids=_program_courses(course_ids), created_at=utcnow())
    )


def _program_courses(course_ids: list[str]) -> list[str]:
    if not course_ids:
        raise InvalidInput.for_field("course_ids", "must name at least one course")
    if len(course_ids) > repo.MAX_PROGRAM_COURSES:
        raise InvalidInput.for_field("course_ids", f"at most {repo.MAX_PROGRAM_COURSES} courses")
    for index, course_id in enumerate(course_ids):
        parse_id_of(course_id, CoursewareKind.COURSE, f"course_ids.{index}")
    if len(set(course_ids)) != len(course_ids):
        raise InvalidInput.for_field("course_ids", "lists a course more than once")
    return list(course_ids)


# --- changes ----------------------------------------------------------------------------------
# Ids, and a run's course and tag, stay as registered: contract runs and codes already name them.


def change_course(course_id: str, title: str) -> Course:
    """Retitle a catalog course."""
    parse_id_of(course_id, CoursewareKind.COURSE, "course_id")
    return repo.update_course_title(course_id, title)


def change_run(run_id: str, changes: dict[str, Any]) -> CourseRun:
    """Change a run's title, dates or pacing; the dates must still end after they start."""
    parse_id_of(run_id, CoursewareKind.COURSE_RUN, "run_id")
    current = repo.get_run(run_id)
    updated = replace(current, **changes)
    if updated.start is not None and updated.end is not None and updated.end <= updated.start:
        raise InvalidInput.for_field("end", "must be after start")
    return repo.update_run(current, updated)


def change_program(program_id: str, changes: dict[str, Any]) -> Program:
    """Change a program's title or its required courses. Contracts that already have the program
    keep the runs they were given; attaching it again adds runs of courses it gained."""
    parse_id_of(program_id, CoursewareKind.PROGRAM, "program_id")
    if "course_ids" in changes:
        changes = changes | {"course_ids": _program_courses(changes["course_ids"])}
    current = repo.get_program(program_id)
    updated = replace(current, **changes)
    if updated == current:
        return current
    return repo.update_program(current, updated)


def list_courses(limit: int, cursor: str | None) -> Page[Course]:
    return repo.list_courses(limit, cursor)


def list_runs(course_id: str | None, limit: int, cursor: str | None) -> Page[CourseRun]:
    if course_id is not None:
        parse_id_of(course_id, CoursewareKind.COURSE, "course_id")
    return repo.list_runs(course_id, limit, cursor)


def list_programs(limit: int, cursor: str | None) -> Page[Program]:
    return repo.list_programs(limit, cursor)
