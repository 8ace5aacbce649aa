"""Contract repository: the contract item, its seat counter, and the two list indexes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from b2b.db import keys
from b2b.db.counters import next_id
from b2b.db.errors import translate_errors
from b2b.db.models import ContractItem, OrganizationItem, SeatCounterItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import Contract, ContractFilters, MembershipType, Page, utcnow


def to_contract(item: ContractItem) -> Contract:
    """The domain contract a contract item holds."""
    return Contract(
        id=int(item.contract_id),
        organization_id=int(item.organization_id),
        name=item.name,
        slug=item.slug,
        description=item.description,
        membership_type=MembershipType(item.membership_type),
        start=item.start,
        end=item.end,
        active=bool(item.active),
        max_learners=int(item.max_learners) if item.max_learners is not None else None,
        price=item.price,
        welcome_message=item.welcome_message,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
        terms_version=int(item.terms_version or 0),
    )


def _item(contract: Contract) -> ContractItem:
    return ContractItem(
        pk=keys.contract_pk(contract.id),
        sk=keys.CONTRACT_SK,
        gsi1pk=keys.org_contracts_gsi1_pk(contract.organization_id),
        gsi1sk=keys.contract_gsi_sk(contract.id),
        gsi2pk=keys.CONTRACTS_GSI2_PK,
        gsi2sk=keys.contract_gsi_sk(contract.id),
        contract_id=contract.id,
        organization_id=contract.organization_id,
        name=contract.name,
        slug=contract.slug,
        description=contract.description,
        membership_type=contract.membership_type.value,
        start=contract.start,
        end=contract.end,
        active=contract.active,
        max_learners=contract.max_learners,
        price=contract.price,
        welcome_message=contract.welcome_message,
        created_at=contract.created_at,
        updated_at=contract.updated_at,
        terms_version=contract.terms_version,
    )


def create_contract(contract: Contract) -> Contract:
    """Store a new contract and its seat counter, if its organization exists (one transaction).

    ``contract.id`` is ignored: a fresh id comes from the counter. Raises :class:`NotFound` when the
    organization does not exist (checked inside the transaction, not before it).
    """
    contract = replace(contract, id=next_id("contract"), version=1, terms_version=1)
    seats = SeatCounterItem(
        pk=keys.contract_pk(contract.id),
        sk=keys.SEATS_SK,
        contract_id=contract.id,
        taken=0,
        cap=contract.max_learners,
    )
    tx = Transaction()
    tx.condition_check(
        "organization",
        OrganizationItem,
        keys.org_pk(contract.organization_id),
        keys.ORG_SK,
        OrganizationItem.pk.exists(),
    )
    tx.put("contract", _item(contract), ContractItem.pk.does_not_exist())
    tx.put("seats", seats, SeatCounterItem.pk.does_not_exist())
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("organization"):
            raise NotFound(
                f"organization {contract.organization_id} not found", code="organization_not_found"
            ) from cancelled
        raise Conflict("the contract could not be created; retry") from cancelled
    return contract


def get_contract(contract_id: int) -> Contract:
    """One GetItem by id."""
    with translate_errors():
        try:
            return to_contract(ContractItem.get(keys.contract_pk(contract_id), keys.CONTRACT_SK))
        except DoesNotExist as exc:
            raise NotFound(f"contract {contract_id} not found", code="contract_not_found") from exc


def get_seats_taken(contract_id: int) -> int:
    """Seats taken in a contract (one GetItem on its seat counter)."""
    with translate_errors():
        try:
            item = SeatCounterItem.get(keys.contract_pk(contract_id), keys.SEATS_SK)
        except DoesNotExist:
            return 0
    return int(item.taken)


def update_contract(current: Contract, updated: Contract) -> Contract:
    """Write the changed fields of ``updated`` if the contract is still at ``current.version``.

    A change of terms (:attr:`Contract.terms`) increments ``terms_version`` in the same write. The
    seat counter's copy of the cap changes in the same transaction. Raises :class:`Conflict`
    when someone else changed the contract first.
    """
    terms_changed = updated.terms != current.terms
    new = replace(
        updated,
        version=current.version + 1,
        terms_version=current.terms_version + 1 if terms_changed else current.terms_version,
    )
    item = _item(new)
    item.version = current.version
    actions: list[Any] = []
    for name in (
        "name",
        "description",
        "membership_type",
        "start",
        "end",
        "active",
        "max_learners",
        "price",
        "welcome_message",
        "updated_at",
        "terms_version",
    ):
        attribute = getattr(ContractItem, name)
        value = getattr(item, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    tx = Transaction()
    # PynamoDB adds the version condition (version == current.version) and the increment.
    tx.update("contract", item, actions, ContractItem.pk.exists())
    if current.max_learners != new.max_learners:
        seats = SeatCounterItem(pk=keys.contract_pk(new.id), sk=keys.SEATS_SK)
        cap = SeatCounterItem.cap
        tx.update("seats", seats, [cap.remove() if new.max_learners is None else cap.set(new.max_learners)])
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        raise Conflict(
            f"contract {current.id} was changed by someone else; reload and retry", code="version_conflict"
        ) from cancelled
    return new


def _open_condition(now: datetime) -> Condition:
    """The filter form of :meth:`Contract.is_open`: active, started (or no start), not ended (or no end)."""
    started = ContractItem.start.does_not_exist() | (ContractItem.start <= now)
    not_ended = ContractItem.end.does_not_exist() | (ContractItem.end > now)
    active: Condition = ContractItem.active == True  # noqa: E712 - a DynamoDB condition, not a test
    condition: Condition = active & started & not_ended
    return condition


def _list_filter(filters: ContractFilters) -> Condition | None:
    condition: Condition | None = None
    if filters.membership_type is not None:
        condition = ContractItem.membership_type == filters.membership_type.value
    if filters.open is not None:
        is_open = _open_condition(filters.now or utcnow())
        wanted = is_open if filters.open else ~is_open
        condition = wanted if condition is None else condition & wanted
    return condition


def list_contracts(
    organization_id: int | None, limit: int, cursor: str | None, filters: ContractFilters | None = None
) -> Page[Contract]:
    """One Query per page: on gsi1 for one organization's contracts, on gsi2 for all contracts.

    ``filters`` narrow the page on the server (a filter expression): the page still holds up to
    ``limit`` contracts when enough match, read over as many index pages as that takes.
    """
    condition = _list_filter(filters) if filters else None
    with translate_errors():
        if organization_id is None:
            partition = keys.CONTRACTS_GSI2_PK
            start = decode_cursor(cursor, ("gsi2pk", partition))
            result = ContractItem.gsi2.query(
                partition, filter_condition=condition, limit=limit, last_evaluated_key=start
            )
        else:
            partition = keys.org_contracts_gsi1_pk(organization_id)
            start = decode_cursor(cursor, ("gsi1pk", partition))
            result = ContractItem.gsi1.query(
                partition, filter_condition=condition, limit=limit, last_evaluated_key=start
            )
        items = [to_contract(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))
