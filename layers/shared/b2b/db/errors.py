"""Translation of DynamoDB failures into domain errors (one place, by error code, never by message)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from b2b.domain.errors import Conflict, Unavailable

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
# DynamoDB's error code for a failed condition (the one constant for it; see also b2b.db.transactions).
CONDITION_FAILED = "ConditionalCheckFailedException"


def cancellation_codes(error: TransactWriteError) -> list[str | None]:
    """Per-item reason codes of a cancelled transaction (None where that item was fine)."""
    return [reason.code if reason else None for reason in (error.cancellation_reasons or [])]


@contextmanager
def translate_errors(conflict_message: str = "the item changed or already exists") -> Iterator[None]:
    """Re-raise PynamoDB failures as domain errors: conditions → 409, throttling → 503."""
    try:
        yield
    except PynamoDBException as exc:
        if isinstance(exc.cause, BotoCoreError):
            # No answer at all (timeout, connection refused): the caller may retry.
            raise Unavailable("the database did not answer; retry shortly") from exc
        code = exc.cause_response_code if isinstance(exc.cause, ClientError) else None
        if code == CONDITION_FAILED or (
            isinstance(exc, TransactWriteError)
            and CONDITION_FAILED.removesuffix("Exception") in cancellation_codes(exc)
        ):
            raise Conflict(conflict_message) from exc
        if code in THROTTLING_CODES or (
            isinstance(exc, TransactWriteError) and "ThrottlingError" in cancellation_codes(exc)
        ):
            raise Unavailable("the database is busy; retry shortly") from exc
        raise
