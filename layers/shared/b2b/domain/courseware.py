"""Catalog courseware and its clone state: courses, runs, programs, and what a contract has attached.

Apart from :mod:`b2b.domain.model`, so functions that never touch courseware (the code reconciler)
do not build these types at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CloneStatus(StrEnum):
    """Where a contract run stands in being cloned in Open edX Studio."""

    NOT_REQUESTED = "not_requested"  # no Open edX settings, a run assigned as is, or not cloned
    PENDING = "pending"  # queued for the cloner
    CLONING = "cloning"  # a cloner holds the lease and is talking to Studio
    CLONED = "cloned"
    FAILED = "failed"  # Studio refused it for good; ``clone_error`` says why


class CoursewareKind(StrEnum):
    COURSE = "course"
    COURSE_RUN = "course_run"
    PROGRAM = "program"


@dataclass(frozen=True)
class Course:
    """A catalog course (readable id ``course-v1:ORG+NUMBER``)."""

    id: str
    title: str
    source_run_id: str | None
    first_run_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class CourseRun:
    """A catalog course run (readable id ``course-v1:ORG+NUMBER+RUN``); contract runs are runs too."""

    id: str
    course_id: str
    run_tag: str
    title: str
    start: datetime | None
    end: datetime | None
    self_paced: bool
    live: bool
    created_at: datetime
    contract_id: int | None = None
    attached_via: str | None = None
    product_id: int | None = None
    source_run_id: str | None = None
    clone_status: CloneStatus = CloneStatus.NOT_REQUESTED
    clone_error: str | None = None
    clone_attempts: int = 0


@dataclass(frozen=True)
class Program:
    """A catalog program: its required courses, in order."""

    id: str
    title: str
    course_ids: list[str]
    created_at: datetime


@dataclass(frozen=True)
class CoursewareLink:
    """A course, course run or program attached to a contract."""

    contract_id: int
    courseware_id: str
    kind: CoursewareKind
    runs_created: bool
    attached_at: datetime
