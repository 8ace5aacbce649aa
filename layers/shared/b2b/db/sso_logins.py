"""What an SSO login reads and writes besides memberships: the organizations the identity provider
names, the claim set seen last (``USER#<sub>``/``SSO_SEEN``), and refusals (e.g. a full contract).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from b2b.db import keys, retry
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.memberships import (
    SEAT,
    AttachOutcome,
    add_attach_operations,
    attach_failure,
    read_seats,
)
from b2b.db.models import AttachRefusalItem, ContractItem, OrganizationItem, SsoSeenItem
from b2b.db.organizations import to_organization as _organization
from b2b.db.table import TableItem
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict
from b2b.domain.model import Contract, Membership, Organization, SeenOrganizations


def fingerprint(organization_ids: Iterable[str]) -> str:
    """A stable digest of a set of SSO organization ids (order and duplicates do not matter)."""
    return hashlib.sha256("\n".join(sorted(set(organization_ids))).encode()).hexdigest()


@dataclass(frozen=True)
class LoginState:
    """The organizations found for the named SSO ids, and the ids seen at the previous login
    (None: no login was seen before)."""

    organizations: dict[str, Organization]
    previously_seen: frozenset[str] | None


def read_login_state(user_id: str, organization_ids: Iterable[str]) -> LoginState:
    """One BatchGetItem: every named organization (by any of its SSO identifiers) and the learner's
    seen marker. ``organizations`` is keyed by the identifier named, so an alias resolves too."""
    wanted: set[tuple[str, str]] = {(keys.org_sso_pk(o), keys.ORG_SK) for o in organization_ids}
    wanted.add((keys.user_pk(user_id), keys.SSO_SEEN_SK))
    organizations: dict[str, Organization] = {}
    previously_seen: frozenset[str] | None = None
    prefix = keys.org_sso_pk("")
    with translate_errors():
        for item in TableItem.batch_get(list(wanted)):
            if isinstance(item, OrganizationItem) and item.pk.startswith(prefix):
                organizations[item.pk.removeprefix(prefix)] = _organization(item)
            elif isinstance(item, SsoSeenItem):
                previously_seen = frozenset(str(o) for o in item.organization_ids or [])
    return LoginState(organizations=organizations, previously_seen=previously_seen)


def seen_marker(user_id: str, organization_ids: Iterable[str], now: datetime) -> SeenOrganizations:
    """The claim set a login names, as the marker the next login compares with."""
    return SeenOrganizations(user_id, frozenset(organization_ids), now)


def seen_item(user_id: str, organization_ids: Iterable[str], now: datetime) -> SsoSeenItem:
    ids = sorted(set(organization_ids))
    return SsoSeenItem(
        pk=keys.user_pk(user_id),
        sk=keys.SSO_SEEN_SK,
        user_id=user_id,
        organization_ids=ids,
        fingerprint=fingerprint(ids),
        seen_at=now,
    )


def save_seen(user_id: str, organization_ids: Iterable[str], now: datetime) -> None:
    """Remember the ids this login named (one PutItem)."""
    with translate_errors():
        seen_item(user_id, organization_ids, now).save()


def forget_seen(user_id: str) -> None:
    """Drop the marker so the next look at the learner's claims counts as a change (one DeleteItem)."""
    with translate_errors():
        SsoSeenItem(pk=keys.user_pk(user_id), sk=keys.SSO_SEEN_SK).delete()


class Unchanged:
    """Returned by :func:`swap_seen` when the claim set is the one seen last."""


UNCHANGED = Unchanged()


def swap_seen(
    user_id: str, organization_ids: Iterable[str], now: datetime
) -> frozenset[str] | Unchanged | None:
    """Store the ids if they differ from the ones seen last: one conditional PutItem.

    Returns :data:`UNCHANGED` when they are the same (nothing written), otherwise the ids seen
    before (None when there were none).
    """
    item = seen_item(user_id, organization_ids, now)
    attributes: dict[str, Any] = item.serialize()
    hash_key = attributes.pop("pk")["S"]
    range_key = attributes.pop("sk")["S"]
    condition = SsoSeenItem.pk.does_not_exist() | (SsoSeenItem.fingerprint != item.fingerprint)
    with translate_errors():
        try:
            result = TableItem._get_connection().put_item(
                hash_key, range_key, attributes=attributes, condition=condition, return_values="ALL_OLD"
            )
        except PutError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return UNCHANGED
            raise
    old = (result or {}).get("Attributes")
    if not old:
        return None
    return frozenset(value["S"] for value in old.get("organization_ids", {}).get("L", []))


def attach_with_marker(
    membership: Membership, marker: SeenOrganizations | None, judged: Contract | None = None
) -> AttachOutcome:
    """Attach within the cap (see :func:`b2b.db.memberships.attach`), optionally writing the seen
    marker in the same transaction so a first login costs no extra request. When the learner was
    already attached the transaction is cancelled and the marker is not written.

    With ``judged`` (the contract as read when the learner was found eligible), the transaction also
    checks the contract is still active under the same terms version; a change of terms meanwhile
    raises the ``terms_changed`` conflict, so the caller judges again (the login's queued retry)."""
    seats = None  # first without reading the counter; after a failed seat write, fenced on a read
    for attempt in range(retry.ATTEMPTS):
        tx = Transaction()
        if judged is not None:
            version = ContractItem.terms_version
            tx.condition_check(
                "contract",
                ContractItem,
                keys.contract_pk(judged.id),
                keys.CONTRACT_SK,
                (ContractItem.active == True)  # noqa: E712 - a PynamoDB condition
                & (
                    (version.does_not_exist() | (version == 0))
                    if judged.terms_version == 0
                    else (version == judged.terms_version)
                ),
            )
        add_attach_operations(tx, membership, seats)
        if marker is not None:
            tx.put("seen", seen_item(marker.user_id, marker.organization_ids, marker.seen_at))
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            outcome = attach_failure(cancelled, membership.contract_id)
            if outcome is not None:
                return outcome
            if cancelled.failed("contract"):
                raise Conflict(
                    f"contract {membership.contract_id} changed terms while attaching; judge again",
                    code="terms_changed",
                ) from cancelled
            # Concurrent logins update the same seat counter; DynamoDB cancels one of them.
            if (cancelled.conflicted or cancelled.failed(SEAT)) and retry.retry_left(attempt):
                seats = read_seats(membership.contract_id) if cancelled.failed(SEAT) else seats
                if cancelled.conflicted:
                    retry.pause(attempt)
                continue
            raise Conflict("attaching collided with another change; retry") from cancelled
        return "attached"
    raise AssertionError("unreachable")


def record_refusal(contract_id: int, user_id: str, reason: str, now: datetime) -> None:
    """Record why a learner was not attached (latest attempt wins; one PutItem)."""
    with translate_errors():
        AttachRefusalItem(
            pk=keys.contract_pk(contract_id),
            sk=keys.attach_refusal_sk(user_id),
            contract_id=contract_id,
            user_id=user_id,
            reason=reason,
            refused_at=now,
        ).save()
