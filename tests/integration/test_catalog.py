"""Catalog: readable ids validated and unique; runs recorded on their course; programs of known courses."""

from __future__ import annotations

import pytest
from b2b.domain.errors import Conflict, InvalidInput, NotFound
from b2b.services import catalog

from tests.courseware_helpers import source_course


def test_a_source_run_is_recorded_on_its_course(unique):
    # Given a course with an ordinary run registered before its SOURCE run
    course_id = source_course(unique, runs=("1T2026", "SOURCE"))
    # When it is read back
    course = catalog.repo.get_course(course_id)
    # Then the first run and the source run are both known without searching the runs
    assert course.first_run_id == f"{course_id}+1T2026"
    assert course.source_run_id == f"{course_id}+SOURCE"
    assert catalog.repo.get_run(f"{course_id}+SOURCE").run_tag == "SOURCE"


def test_ids_are_unique(unique):
    course_id = source_course(unique)
    with pytest.raises(Conflict):
        catalog.register_course(course_id)
    with pytest.raises(Conflict) as run_taken:
        catalog.register_run(run_id=f"{course_id}+SOURCE")
    assert run_taken.value.code == "course_run_exists"


def test_a_second_source_run_of_one_course_is_refused(unique):
    # Given a course whose source run lives under another org's key
    course_id = source_course(unique)
    # When another SOURCE run names the same course
    with pytest.raises(Conflict) as refused:
        catalog.register_run(run_id=f"course-v1:OTHER+X{unique}+SOURCE", course_id=course_id)
    # Then it is refused and nothing was written
    assert refused.value.code == "source_run_exists"
    with pytest.raises(NotFound):
        catalog.repo.get_run(f"course-v1:OTHER+X{unique}+SOURCE")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda u: catalog.register_course(f"course-v1:ORG+{u}+RUN"), "course_id"),
        (lambda u: catalog.register_course(f"course-v1:ORG {u}"), "course_id"),
        (lambda u: catalog.register_run(run_id=f"course-v1:ORG+{u}"), "run_id"),
        (lambda u: catalog.register_run(run_id=f"course-v1:ORG+{u}+R1"), "course_id"),
        (lambda u: catalog.register_program(f"course-v1:ORG+{u}", ["course-v1:A+B"]), "program_id"),
        (lambda u: catalog.register_program(f"program-v1:ORG+{u}", []), "course_ids"),
        (lambda u: catalog.register_program(f"program-v1:ORG+{u}", ["nope"]), "course_ids.0"),
        (lambda u: catalog.register_program(f"program-v1:ORG+{u}", ["course-v1:NO+PE"]), "course_ids.0"),
    ],
)
def test_bad_ids_name_the_field(unique, call, field):
    with pytest.raises(InvalidInput) as invalid:
        call(unique)
    assert invalid.value.details[0].field == field


def test_program_lists_its_courses_in_order_and_pages(unique):
    first = source_course(unique, "A")
    second = source_course(unique, "B")
    program = catalog.register_program(f"program-v1:UAI+P{unique}", [second, first], "Program")
    assert program.course_ids == [second, first]
    # The course's runs are one prefix query on the catalog's run list
    runs = catalog.list_runs(first, 10, None).items
    assert [r.id for r in runs] == [f"{first}+SOURCE"]
    seen, cursor = [], None
    while True:
        page = catalog.list_programs(1, cursor)
        seen += [p.id for p in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert program.id in seen
