"""Messages the functions hand each other through SQS, and the one publisher for them."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from b2b import snapstart
from b2b.observability import logger
from b2b.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class ReconcileRequest(BaseModel):
    """Body of a message on the reconcile queue: bring this contract's codes in line with its rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contract_id: int
    reason: Literal["contract_created", "contract_changed", "courseware_changed", "manual", "continuation"]
    contract_version: int = 0
    # Opaque position where a bounded run stopped; None starts from the beginning.
    resume_from: str | None = None
    # One id per change: retried publishes of the same change are deduplicated, distinct changes are not.
    change_id: str = Field(default_factory=lambda: uuid4().hex)


@lru_cache(maxsize=1)
def _sqs_client() -> SQSClient:
    # Imported here so functions that never publish do not pay for boto3 at cold start.
    import boto3  # noqa: PLC0415

    return boto3.client("sqs", region_name=get_settings().aws_region)


def request_reconcile(request: ReconcileRequest) -> None:
    """Queue a reconciliation; one contract's messages share a FIFO group so they apply in order.

    The deduplication id (contract + change id) makes a retried publish of the same change a no-op
    for five minutes.
    """
    queue_url = get_settings().reconcile_queue_url
    if not queue_url:
        logger.warning(
            "RECONCILE_QUEUE_URL is not set; reconciliation not queued",
            extra={"contract_id": request.contract_id},
        )
        return
    dedup = f"{request.contract_id}-{request.change_id}"
    _sqs_client().send_message(
        QueueUrl=queue_url,
        MessageBody=request.model_dump_json(),
        MessageGroupId=str(request.contract_id),
        MessageDeduplicationId=dedup[:128],
    )


class CloneRunRequest(BaseModel):
    """Body of a message on the clone queue: clone this contract run in Open edX Studio."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str = Field(min_length=1, max_length=255)
    contract_id: int


def request_clones(requests: list[CloneRunRequest]) -> None:
    """Queue clone requests, ten to a SendMessageBatch; raises when any entry was not accepted."""
    queue_url = get_settings().clone_queue_url
    if not requests:
        return
    if not queue_url:
        logger.warning("CLONE_QUEUE_URL is not set; clones not queued", extra={"runs": len(requests)})
        return
    for start in range(0, len(requests), 10):
        chunk = requests[start : start + 10]
        response = _sqs_client().send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": r.model_dump_json()} for i, r in enumerate(chunk)],
        )
        if response.get("Failed"):
            raise RuntimeError(f"clone requests not queued: {response['Failed']}")


class SsoAttachRequest(BaseModel):
    """Body of a message on the SSO attach queue: finish what a login could not do in time.

    ``organization_ids`` are the SSO organization ids the identity provider named (empty: none, so
    the learner leaves the auto contracts SSO gave them). ``realize_contract_ids`` are contracts the
    login already attached the learner to whose default enrollments are still to be realized.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str = Field(min_length=1)
    organization_ids: list[str]
    previously_seen: list[str] | None = None
    realize_contract_ids: list[int] = Field(default_factory=list)
    reason: Literal["deadline", "error", "default_enrollments"]


def request_sso_attach(request: SsoAttachRequest) -> None:
    """Queue the rest of a login's SSO work; raises when the queue cannot take it."""
    queue_url = get_settings().sso_attach_queue_url
    if not queue_url:
        raise RuntimeError("SSO_ATTACH_QUEUE_URL is not set")
    _sso_sqs_client().send_message(QueueUrl=queue_url, MessageBody=request.model_dump_json())


@lru_cache(maxsize=1)
def _sso_sqs_client() -> SQSClient:
    # The Cognito trigger hands off when its time budget is spent, so the hand-off itself must be
    # quick: short timeouts and one retry, instead of botocore's defaults (60 s reads, 3 retries).
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    config = Config(connect_timeout=0.5, read_timeout=1.0, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client("sqs", region_name=get_settings().aws_region, config=config)


@snapstart.after_restore
def _drop_pooled_connections() -> None:
    # A queue client made before the snapshot keeps its client, not its connections (see db.table).
    for made in (_sqs_client, _sso_sqs_client):
        if made.cache_info().currsize:
            made()._endpoint.http_session.close()  # type: ignore[attr-defined]
