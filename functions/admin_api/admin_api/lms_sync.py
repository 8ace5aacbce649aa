"""Admin routes: a learner's enrollments in a contract with their LMS state, and retrying the LMS
syncs that did not go through (for one learner or a whole contract)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.lms_schemas import EnrollmentSyncOut, EnrollmentSyncPage, LmsSyncRetryOut
from b2b.api.openapi import operation
from b2b.api.resolver import ContractIdPath
from b2b.services import lms_retry

from admin_api.learners import UserIdPath

router = APIGatewayHttpRouter()


@router.get(
    "/v1/contracts/<contract_id>/learners/<user_id>/enrollments",
    **operation(
        "A learner's enrollments and their LMS state",
        "Each run the learner is enrolled in through the contract, and whether the LMS has the "
        "enrollment yet (`lms_state`).",
        role="admin",
        tag="learners",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def learner_enrollments(contract_id: ContractIdPath, user_id: UserIdPath) -> EnrollmentSyncPage:
    items = lms_retry.enrollments_in_contract(contract_id, user_id)
    return EnrollmentSyncPage(items=[EnrollmentSyncOut.of(e) for e in items])


@router.post(
    "/v1/contracts/<contract_id>/learners/<user_id>/lms-sync",
    **operation(
        "Retry a learner's LMS syncs",
        "Queues again the learner's enrollments the LMS does not have yet; the sync is idempotent.",
        role="admin",
        tag="learners",
        ok=202,
        ok_description="The retries were queued; the body counts them.",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def retry_learner_sync(contract_id: ContractIdPath, user_id: UserIdPath) -> Response[LmsSyncRetryOut]:
    outcome = lms_retry.retry_learner(contract_id, user_id)
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=LmsSyncRetryOut.of(outcome)
    )


@router.post(
    "/v1/contracts/<contract_id>/lms-sync",
    **operation(
        "Retry a contract's LMS syncs",
        "Queues again every enrollment of the contract the LMS does not have yet; the sync is idempotent.",
        role="admin",
        tag="learners",
        ok=202,
        ok_description="The retries were queued; the body counts them.",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def retry_contract_sync(contract_id: ContractIdPath) -> Response[LmsSyncRetryOut]:
    outcome = lms_retry.retry_contract(contract_id)
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=LmsSyncRetryOut.of(outcome)
    )
