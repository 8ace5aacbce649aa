"""The signed-in learner's own contracts, enrollments and default enrollments."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.auth import principal_from_event
from b2b.api.base import PageOut
from b2b.api.learner_schemas import (
    EnrollmentOut,
    LearnerDefaultEnrollmentsOut,
    MembershipOut,
)
from b2b.api.openapi import operation
from b2b.api.resolver import PageCursor, PageLimit, page_size
from b2b.services import default_enrollments, learners

router = APIGatewayHttpRouter()


def _user_id() -> str:
    return principal_from_event(router.current_event.raw_event).user_id


@router.get(
    "/v1/me/contracts",
    **operation(
        "My contracts",
        "The contracts the signed-in learner is attached to, and how they joined each.",
        role="learner",
        tag="me",
    ),
)
def my_contracts(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[MembershipOut]:
    page = learners.contracts_of(_user_id(), page_size(limit), cursor)
    return PageOut[MembershipOut].of(page, MembershipOut.of)


@router.get(
    "/v1/me/enrollments",
    **operation(
        "My enrollments",
        "The signed-in learner's enrollments, active and past.",
        role="learner",
        tag="me",
    ),
)
def my_enrollments(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[EnrollmentOut]:
    page = learners.enrollments_of(_user_id(), page_size(limit), cursor)
    return PageOut[EnrollmentOut].of(page, EnrollmentOut.of)


@router.delete(
    "/v1/me/enrollments/<run_id>",
    **operation(
        "Unenroll from a run",
        "Ends the learner's enrollment in the run (kept as history); they may enroll again later.",
        role="learner",
        tag="me",
        errors={404: "The learner is not enrolled in this run (`enrollment_not_found`)."},
    ),
)
def unenroll(run_id: Annotated[str, Path(min_length=1, max_length=512)]) -> EnrollmentOut:
    return EnrollmentOut.of(learners.unenroll(_user_id(), unquote(run_id)))


@router.get(
    "/v1/me/default-enrollments",
    **operation(
        "My default enrollments",
        "For each default enrollment of the learner's contracts: already enrolled, enrollable, or "
        "not enrollable (with the reason).",
        role="learner",
        tag="me",
    ),
)
def my_default_enrollments() -> LearnerDefaultEnrollmentsOut:
    return LearnerDefaultEnrollmentsOut.of(default_enrollments.learner_status(_user_id()))
