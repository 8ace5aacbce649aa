"""Contract rules: creation (with the organization by id or by name), changes, soft delete.

Every change queues a reconciliation of the contract's codes; nothing is reconciled inline.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from b2b import queues
from b2b.db import contracts as repo
from b2b.db import retry
from b2b.domain.errors import Conflict, InvalidInput, NotFound
from b2b.domain.model import Contract, ContractFilters, MembershipType, Page, utcnow
from b2b.observability import logger
from b2b.services import organizations

ReconcileReason = Literal["contract_created", "contract_changed"]


def check_dates(start: datetime | None, end: datetime | None) -> None:
    """A contract's end, when both bounds are set, must come after its start."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput.for_field("end", "must be after start")


def resolve_organization_id(
    organization_id: int | None, organization_name: str | None, create_organization: bool
) -> int:
    """The organization a new contract belongs to: by id, or by name (created when asked and missing)."""
    if organization_id is not None and organization_name is not None:
        raise InvalidInput.for_field(
            "organization_name", "give organization_id or organization_name, not both"
        )
    if organization_id is not None:
        return organization_id
    if organization_name is None:
        raise InvalidInput.for_field("organization_id", "give organization_id or organization_name")
    try:
        return organizations.find_organization_by_name(organization_name).id
    except NotFound:
        if not create_organization:
            raise NotFound(
                f"organization {organization_name!r} not found; set create_organization to create it",
                code="organization_not_found",
            ) from None
    try:
        return organizations.register_organization(name=organization_name).id
    except Conflict:
        # Someone created it between our lookup and our write: use theirs.
        return organizations.find_organization_by_name(organization_name).id


def create_contract(
    *,
    organization_id: int,
    name: str,
    membership_type: MembershipType,
    description: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    active: bool = True,
    max_learners: int | None = None,
    price: Decimal | None = None,
    welcome_message: str = "",
) -> Contract:
    """Create a contract for an existing organization and queue its first reconciliation."""
    check_dates(start, end)
    now = utcnow()
    contract = repo.create_contract(
        Contract(
            id=0,
            organization_id=organization_id,
            name=name,
            slug=organizations.slug_for(name),
            description=description,
            membership_type=membership_type,
            start=start,
            end=end,
            active=active,
            max_learners=max_learners,
            price=price,
            welcome_message=welcome_message,
            created_at=now,
            updated_at=now,
            version=1,
        )
    )
    _queue_reconcile(contract, "contract_created")
    return contract


def get_contract(contract_id: int) -> Contract:
    return repo.get_contract(contract_id)


def list_contracts(
    organization_id: int | None, limit: int, cursor: str | None, filters: ContractFilters | None = None
) -> Page[Contract]:
    """A page of contracts: all, or one organization's; ``filters`` narrow it on the server."""
    return repo.list_contracts(organization_id, limit, cursor, filters)


def change_contract(
    contract_id: int, changes: dict[str, Any], expected_version: int | None = None
) -> Contract:
    """Apply ``changes`` with optimistic locking and queue a reconciliation.

    With ``expected_version`` (from an ``If-Match`` header) a concurrent change is a 409; without it
    the change is re-applied to the newest version a few times before giving up.
    """
    for attempt in range(retry.ATTEMPTS):
        current = repo.get_contract(contract_id)
        if expected_version is not None and current.version != expected_version:
            raise Conflict(
                f"contract {contract_id} is at version {current.version}, not {expected_version}",
                code="version_conflict",
            )
        updated = replace(current, **changes)
        check_dates(updated.start, updated.end)
        if updated == current:
            return current
        updated = replace(updated, updated_at=utcnow())
        try:
            saved = repo.update_contract(current, updated)
        except Conflict:
            if expected_version is not None or not retry.retry_left(attempt):
                raise
            continue
        _queue_reconcile(saved, "contract_changed")
        return saved
    raise AssertionError("unreachable")  # pragma: no cover


def deactivate_contract(contract_id: int) -> Contract:
    """Soft delete: the contract stops being open; its data, learners and codes are kept."""
    return change_contract(contract_id, {"active": False})


def _queue_reconcile(contract: Contract, reason: ReconcileReason) -> None:
    request = queues.ReconcileRequest(
        contract_id=contract.id, reason=reason, contract_version=contract.version
    )
    try:
        queues.request_reconcile(request)
    except Exception:
        # The contract is saved; the scheduled drift sweep (services.code_repair) finds the codes out
        # of line and queues the reconcile again, and an operator can ask for one at any time.
        logger.exception("could not queue reconciliation", extra={"contract_id": contract.id})
