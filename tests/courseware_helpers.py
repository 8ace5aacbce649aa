"""Catalog set-ups shared by the courseware tests (unique ids, since tests share the table)."""

from __future__ import annotations

from b2b.services import catalog


def source_course(unique: str, number: str = "14.100x", *, runs: tuple[str, ...] = ("SOURCE",)) -> str:
    """Register ``course-v1:UAI_SOURCE+<number><unique>`` and the given runs of it; return its id."""
    course_id = f"course-v1:UAI_SOURCE+{number}{unique}"
    catalog.register_course(course_id, f"Course {number}")
    for tag in runs:
        catalog.register_run(run_id=f"{course_id}+{tag}", title=f"Course {number} {tag}")
    return course_id
