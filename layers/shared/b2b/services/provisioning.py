"""Admins attach and remove learners by hand (the same seat rules as every other path)."""

from __future__ import annotations

from b2b.db import contracts as contract_repo
from b2b.db import memberships
from b2b.domain.errors import NotFound
from b2b.domain.model import Membership, Page, utcnow
from b2b.services import default_enrollments, learners


def attach_learner(contract_id: int, user_id: str, email: str | None = None) -> tuple[str, Membership]:
    """Attach a learner (source ``admin``) within the cap; ``("attached" | "already_attached", membership)``.

    A learner new to the contract gets its default enrollments right away; an ``email`` is kept for
    the learner first, so those enrollments' LMS sync finds the account. Raises the
    ``contract_full`` conflict when no seat is left (and keeps nothing).
    """
    contract_repo.get_contract(contract_id)  # 404 for an unknown contract, not a "full" one
    outcome = memberships.attach(memberships.membership_for(contract_id, user_id, "admin", utcnow()))
    if email:
        learners.remember_email(user_id, email, "admin")
    if outcome == "attached":
        default_enrollments.realize_for_learner(user_id, contract_id)
    return outcome, memberships.get_membership(contract_id, user_id)


def remove_learner(contract_id: int, user_id: str) -> None:
    """Detach a learner whatever brought them in, giving the seat back (404 when not attached)."""
    if not memberships.detach(contract_id, user_id):
        raise NotFound(f"learner {user_id} is not in contract {contract_id}", code="learner_not_found")


def list_learners(contract_id: int, limit: int, cursor: str | None) -> Page[Membership]:
    contract_repo.get_contract(contract_id)
    return memberships.list_learners(contract_id, limit, cursor)
