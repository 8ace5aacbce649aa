"""Messages the functions hand each other through SQS, and the one publisher for them."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from b2b import snapstart
from b2b.settings import ConfigurationError, get_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class ReconcileRequest(BaseModel):
    """Body of a message on the reconcile queue: bring this contract's codes in line with its rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contract_id: int
    reason: Literal[
        "contract_created", "contract_changed", "courseware_changed", "manual", "continuation", "drift"
    ]
    contract_version: int = 0
    # Opaque position where a bounded run stopped; None starts from the beginning.
    resume_from: str | None = None
    # One id per change: retried publishes of the same change are deduplicated, distinct changes are not.
    change_id: str = Field(default_factory=lambda: uuid4().hex)


def _queue_url(url: str | None, variable: str) -> str:
    # Functions that publish require the variable at cold start (b2b.settings.FUNCTION_REQUIREMENTS);
    # reaching here without it is a wiring mistake, never a message to drop quietly.
    if not url:
        raise ConfigurationError(f"{variable} is not set; the message cannot be queued")
    return url


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
    queue_url = _queue_url(get_settings().reconcile_queue_url, "RECONCILE_QUEUE_URL")
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


def _send_batches(queue_url: str, bodies: list[BaseModel], what: str) -> None:
    """Send message bodies ten to a SendMessageBatch; raises when any entry was not accepted."""
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        response = _sqs_client().send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": b.model_dump_json()} for i, b in enumerate(chunk)],
        )
        if response.get("Failed"):
            raise RuntimeError(f"{what} not queued: {response['Failed']}")


def request_clones(requests: list[CloneRunRequest]) -> None:
    """Queue clone requests, ten to a SendMessageBatch; raises when any entry was not accepted."""
    if not requests:
        return
    queue_url = _queue_url(get_settings().clone_queue_url, "CLONE_QUEUE_URL")
    _send_batches(queue_url, list(requests), "clone requests")


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
    # keycloak_lookup: the organizations are still to be looked up in Keycloak's admin API
    # (``organization_ids`` is empty then).
    reason: Literal["deadline", "error", "default_enrollments", "keycloak_lookup"]
    # The sign-in's email, kept for the learner before their default enrollments are made (their LMS
    # sync finds the account by it).
    email: str | None = None


def request_sso_attach(request: SsoAttachRequest) -> None:
    """Queue the rest of a login's SSO work; raises when the queue cannot take it."""
    queue_url = _queue_url(get_settings().sso_attach_queue_url, "SSO_ATTACH_QUEUE_URL")
    _sso_sqs_client().send_message(QueueUrl=queue_url, MessageBody=request.model_dump_json())


@lru_cache(maxsize=1)
def _sso_sqs_client() -> SQSClient:
    # The Cognito trigger hands off when its time budget is spent, so the hand-off itself must be
    # quick: short timeouts and one retry, instead of botocore's defaults (60 s reads, 3 retries).
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    config = Config(connect_timeout=0.5, read_timeout=1.0, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client("sqs", region_name=get_settings().aws_region, config=config)


class LmsSyncRequest(BaseModel):
    """Body of a message on the LMS sync queue: bring the LMS in line with this enrollment.

    It names the enrollment only: the worker reads the enrollment's current state, so a message
    that arrives late or twice still sends the LMS what the table says now.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str = Field(min_length=1)
    run_id: str = Field(min_length=1, max_length=255)
    reason: Literal["enrollment_changed", "retry"] = "enrollment_changed"
    change_id: str | None = None


def request_lms_sync(requests: list[LmsSyncRequest]) -> None:
    """Queue LMS syncs, ten to a SendMessageBatch; raises when any entry was not accepted."""
    if not requests:
        return
    queue_url = _queue_url(get_settings().lms_sync_queue_url, "LMS_SYNC_QUEUE_URL")
    _send_batches(queue_url, list(requests), "LMS syncs")


@snapstart.after_restore
def _drop_pooled_connections() -> None:
    # A queue client made before the snapshot keeps its client, not its connections (see db.table).
    for made in (_sqs_client, _sso_sqs_client):
        if made.cache_info().currsize:
            made()._endpoint.http_session.close()  # type: ignore[attr-defined]
