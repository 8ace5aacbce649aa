"""SSO attachment: a login through an organization's identity provider attaches the learner to
every open, free ``auto`` contract of that organization (within each seat cap), and a learner
whose identity provider no longer names an organization leaves the contracts SSO gave them.

Both identity providers come through here: the Cognito trigger (with a time budget: what does not
finish in time goes to the SSO attach queue), the Keycloak claim middleware and the Keycloak
webhook. Attaching is idempotent, so finishing a login twice is harmless.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, Literal, Protocol

from b2b import queues
from b2b.db import contracts as contract_repo
from b2b.db import memberships
from b2b.db import sso_logins as repo
from b2b.db.memberships import AttachOutcome
from b2b.db.organizations import get_organization_by_sso_id
from b2b.db.sso_logins import LoginState
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import (
    Contract,
    Membership,
    MembershipSource,
    MembershipType,
    Organization,
    Page,
    SeenOrganizations,
    utcnow,
)
from b2b.observability import logger, metrics
from b2b.services import default_enrollments, learners
from b2b.settings import get_settings

Ineligibility = Literal["not_auto", "priced", "not_open"]


def ineligibility(contract: Contract, now: datetime) -> Ineligibility | None:
    """Why SSO does not attach to ``contract`` (None: it does)."""
    if contract.membership_type is not MembershipType.AUTO:
        return "not_auto"  # code contracts need a code; managed ones a code as well as SSO
    if contract.is_priced:
        return "priced"  # a price means a code and a checkout
    if not contract.is_open(now):
        return "not_open"
    return None


@dataclass
class LoginOutcome:
    """What a login did; ``complete`` is False when the time budget ran out or a step failed."""

    attached: list[int] = field(default_factory=list)
    already_attached: list[int] = field(default_factory=list)
    full: list[int] = field(default_factory=list)
    detached: list[int] = field(default_factory=list)
    unknown_organizations: list[str] = field(default_factory=list)
    complete: bool = True
    previously_seen: frozenset[str] | None = None


class SsoStore(Protocol):
    """What SSO attachment reads, writes and queues. :class:`TableSsoStore` is the real one (DynamoDB
    and the SSO attach queue); unit tests put an in-memory fake in :data:`store`."""

    def read_login_state(self, user_id: str, organization_ids: Iterable[str]) -> LoginState: ...

    def organization_by_sso_id(self, sso_organization_id: str) -> Organization:
        """The organization with that SSO id; raises :class:`NotFound`."""
        ...

    def contracts_page(self, organization_id: int, limit: int, cursor: str | None) -> Page[Contract]: ...

    def contracts_joined(self, user_id: str, contract_ids: list[int]) -> set[int]: ...

    def attach_with_marker(
        self, membership: Membership, marker: SeenOrganizations | None, judged: Contract | None = None
    ) -> AttachOutcome:
        """Attach within the seat cap; raises :class:`Conflict` ``contract_full`` when there is no seat,
        ``terms_changed`` when ``judged`` (the contract as read) changed its terms meanwhile."""
        ...

    def detach(self, contract_id: int, user_id: str, sources: frozenset[MembershipSource]) -> bool: ...

    def record_refusal(self, contract_id: int, user_id: str, reason: str, now: datetime) -> None: ...

    def save_seen(self, user_id: str, organization_ids: Iterable[str], now: datetime) -> None: ...

    def swap_seen(
        self, user_id: str, organization_ids: Iterable[str], now: datetime
    ) -> frozenset[str] | repo.Unchanged | None:
        """Store the ids when they changed; the ids seen before, None (never), or ``Unchanged``."""
        ...

    def forget_seen(self, user_id: str) -> None: ...

    def hand_off(self, request: queues.SsoAttachRequest) -> None:
        """Queue the rest of a login; raises when the queue cannot take it."""
        ...


class TableSsoStore:
    """The store of a deployed function: the table's repositories and the SSO attach queue."""

    def read_login_state(self, user_id: str, organization_ids: Iterable[str]) -> LoginState:
        return repo.read_login_state(user_id, organization_ids)

    def organization_by_sso_id(self, sso_organization_id: str) -> Organization:
        return get_organization_by_sso_id(sso_organization_id)

    def contracts_page(self, organization_id: int, limit: int, cursor: str | None) -> Page[Contract]:
        return contract_repo.list_contracts(organization_id, limit, cursor)

    def contracts_joined(self, user_id: str, contract_ids: list[int]) -> set[int]:
        return memberships.contracts_joined(user_id, contract_ids)

    def attach_with_marker(
        self, membership: Membership, marker: SeenOrganizations | None, judged: Contract | None = None
    ) -> AttachOutcome:
        return repo.attach_with_marker(membership, marker, judged)

    def detach(self, contract_id: int, user_id: str, sources: frozenset[MembershipSource]) -> bool:
        return memberships.detach(contract_id, user_id, sources=sources)

    def record_refusal(self, contract_id: int, user_id: str, reason: str, now: datetime) -> None:
        repo.record_refusal(contract_id, user_id, reason, now)

    def save_seen(self, user_id: str, organization_ids: Iterable[str], now: datetime) -> None:
        repo.save_seen(user_id, organization_ids, now)

    def swap_seen(
        self, user_id: str, organization_ids: Iterable[str], now: datetime
    ) -> frozenset[str] | repo.Unchanged | None:
        return repo.swap_seen(user_id, organization_ids, now)

    def forget_seen(self, user_id: str) -> None:
        repo.forget_seen(user_id)

    def hand_off(self, request: queues.SsoAttachRequest) -> None:
        queues.request_sso_attach(request)


store: SsoStore = TableSsoStore()


class _OutOfTime(Exception):
    pass


@lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    # Kept for the life of the process (a Lambda execution environment). A few spare workers, so
    # calls still blocked after an earlier invocation gave up cannot starve the next one.
    return ThreadPoolExecutor(max_workers=get_settings().sso_attach_concurrency + 8, thread_name_prefix="sso")


def _wait[T](futures: list[Future[T]], deadline: float | None) -> list[T]:
    results = []
    for future in futures:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            results.append(future.result(timeout=timeout))
        except TimeoutError as exc:
            raise _OutOfTime from exc
    return results


def _run[T](deadline: float | None, calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``calls`` concurrently and return their results in order, or raise when out of time."""
    pool = _executor()
    return _wait([pool.submit(call) for call in calls], deadline)


def _contracts_of(organization_id: int) -> list[Contract]:
    contracts: list[Contract] = []
    cursor: str | None = None
    while True:
        page = store.contracts_page(organization_id, 1000, cursor)
        contracts += page.items
        cursor = page.next_cursor
        if not cursor:
            return contracts


def _leave_organization(
    user_id: str, sso_organization_id: str, staying: frozenset[int] = frozenset()
) -> list[int]:
    """Detach from the organization's auto contracts the memberships SSO made; codes and admins stay.

    ``staying``: organizations still named (by another of their identifiers), which are kept.
    """
    try:
        organization = store.organization_by_sso_id(sso_organization_id)
    except NotFound:
        return []
    if organization.id in staying:
        return []
    detached = []
    for contract in _contracts_of(organization.id):
        if contract.membership_type is MembershipType.AUTO and store.detach(
            contract.id, user_id, frozenset({"sso"})
        ):
            detached.append(contract.id)
    return detached


def _attach(user_id: str, contract: Contract, marker: SeenOrganizations | None, now: datetime) -> str:
    membership = memberships.membership_for(contract.id, user_id, "sso", now)
    try:
        return store.attach_with_marker(membership, marker, judged=contract)
    except Conflict as error:
        if error.code != "contract_full":
            raise
        # Recorded, never over-filled: the learner gets in on a later login once a seat frees up.
        logger.warning(
            "contract full: learner not attached",
            extra={"contract_id": contract.id, "user_id": user_id, "reason": "contract_full"},
        )
        metrics.add_metric(name="SsoContractFull", unit="Count", value=1)
        store.record_refusal(contract.id, user_id, "contract_full", now)
        return "contract_full"


def sync_memberships(
    user_id: str,
    organization_ids: Iterable[str],
    *,
    deadline: float | None = None,
    previously_seen: Iterable[str] | None = None,
    outcome: LoginOutcome | None = None,
) -> LoginOutcome:
    """Bring the learner's SSO memberships in line with the organizations their IdP names.

    Requests: one BatchGetItem (the organizations and the marker of what was seen last), one Query
    per named organization (its contracts), one transaction per eligible contract, all contracts
    at once. A returning learner (unchanged organizations) first has their memberships read in one
    BatchGetItem, and only the contracts they are not in yet cost a transaction. The marker rides in one of those transactions when it changed. Leaving an organization
    costs more, but only on the login where it happens.

    ``deadline`` (``time.monotonic()``): raise :class:`_OutOfTime` when passed. ``previously_seen``
    adds organizations known to have been seen before (from a login that ran out of time).
    """
    outcome = outcome if outcome is not None else LoginOutcome()
    named = frozenset(o for o in organization_ids if o)
    now = utcnow()
    (state,) = _run(deadline, [lambda: store.read_login_state(user_id, named)])
    outcome.previously_seen = state.previously_seen
    outcome.unknown_organizations = sorted(named - state.organizations.keys())
    seen_before = (state.previously_seen or frozenset()) | frozenset(previously_seen or ())
    # One organization may be named by several identifiers (its id, a Keycloak alias): by org id.
    organizations = list({o.id: o for o in state.organizations.values()}.values())
    staying = frozenset(o.id for o in organizations)
    _leave(user_id, sorted(seen_before - named), staying, deadline, outcome)

    eligible = _eligible_contracts(organizations, deadline, now)
    marker = None if state.previously_seen == named else repo.seen_marker(user_id, named, now)
    if marker is None and eligible:
        eligible = _not_joined_yet(user_id, eligible, deadline, outcome)
    results = _attach_all(user_id, eligible, marker, now, deadline=deadline, outcome=outcome)
    if marker is not None and (not results or results[0] != "attached"):
        # The marker rode in the first attach; that attach did not happen, so it is written alone.
        store.save_seen(user_id, named, now)
    if outcome.attached:
        metrics.add_metric(name="SsoAttached", unit="Count", value=len(outcome.attached))
    if outcome.detached:
        metrics.add_metric(name="SsoDetached", unit="Count", value=len(outcome.detached))
    return outcome


def _leave(
    user_id: str, left: list[str], staying: frozenset[int], deadline: float | None, outcome: LoginOutcome
) -> None:
    """Detach the learner from the organizations their identity provider no longer names (an
    organization still named by another of its identifiers, ``staying``, is kept)."""
    if left:
        detached = _run(deadline, [partial(_leave_organization, user_id, o, staying) for o in left])
        outcome.detached = [c for batch in detached for c in batch]


def _eligible_contracts(
    organizations: list[Organization], deadline: float | None, now: datetime
) -> list[Contract]:
    """The organizations' contracts SSO attaches to (one Query per organization, all at once)."""
    listed = _run(deadline, [partial(_contracts_of, o.id) for o in organizations])
    return [c for batch in listed for c in batch if ineligibility(c, now) is None]


def _not_joined_yet(
    user_id: str, eligible: list[Contract], deadline: float | None, outcome: LoginOutcome
) -> list[Contract]:
    """A returning learner (same organizations as last time) is usually in every contract already:
    one batch read finds which, instead of one refused transaction per contract."""
    (joined,) = _run(deadline, [lambda: store.contracts_joined(user_id, [c.id for c in eligible])])
    outcome.already_attached += [c.id for c in eligible if c.id in joined]
    return [c for c in eligible if c.id not in joined]


def _attach_all(
    user_id: str,
    eligible: list[Contract],
    marker: SeenOrganizations | None,
    now: datetime,
    *,
    deadline: float | None,
    outcome: LoginOutcome,
) -> list[str]:
    """Attach to every eligible contract at once, the marker riding in the first transaction."""

    def attach(contract: Contract, marker: SeenOrganizations | None) -> str:
        result = _attach(user_id, contract, marker, now)
        # Recorded as each finishes, so a login that runs out of time knows what it did.
        {"attached": outcome.attached, "already_attached": outcome.already_attached}.get(
            result, outcome.full
        ).append(contract.id)
        return result

    return _run(deadline, [partial(attach, c, marker if i == 0 else None) for i, c in enumerate(eligible)])


def login(
    user_id: str, organization_ids: Iterable[str], *, previously_seen: Iterable[str] | None = None
) -> LoginOutcome:
    """Attach/detach without a time budget, then realize the default enrollments of the contracts
    the learner just joined. Errors propagate (the caller retries or reports them)."""
    outcome = sync_memberships(user_id, organization_ids, previously_seen=previously_seen)
    if outcome.attached:
        default_enrollments.realize_for_contracts(user_id, sorted(outcome.attached))
    return outcome


def login_within_budget(
    user_id: str, organization_ids: Iterable[str], budget_seconds: float, email: str | None = None
) -> LoginOutcome:
    """The Cognito trigger's login: never raises, returns within ``budget_seconds``.

    Whatever did not finish (out of time, DynamoDB failing) goes to the SSO attach queue, and so do
    the default enrollments of contracts the learner just joined (they can take longer than a
    sign-in may wait), with the sign-in's ``email``: the worker keeps it for the learner first.
    """
    named = sorted(set(organization_ids))
    deadline = time.monotonic() + budget_seconds
    outcome = LoginOutcome()
    try:
        sync_memberships(user_id, named, deadline=deadline, outcome=outcome)
    except _OutOfTime:
        outcome.complete = False
        _hand_off(user_id, named, outcome, "deadline", email)
        return outcome
    except Exception:
        logger.exception("SSO login failed; handing it to the queue", extra={"user_id": user_id})
        outcome.complete = False
        _hand_off(user_id, named, outcome, "error", email)
        return outcome
    if outcome.attached:
        _hand_off(user_id, named, outcome, "default_enrollments", email)
    return outcome


def _hand_off(
    user_id: str,
    organization_ids: Iterable[str],
    outcome: LoginOutcome,
    reason: Literal["deadline", "error", "default_enrollments"],
    email: str | None = None,
) -> None:
    request = queues.SsoAttachRequest(
        user_id=user_id,
        organization_ids=sorted(set(organization_ids)),
        previously_seen=sorted(outcome.previously_seen) if outcome.previously_seen is not None else None,
        realize_contract_ids=sorted(outcome.attached),
        reason=reason,
        email=email,
    )
    try:
        store.hand_off(request)
        # SsoHandedOff counts fallbacks (out of time, DynamoDB failing); queuing the default
        # enrollments of a completed login is routine and counted apart.
        name = "SsoDefaultEnrollmentsQueued" if reason == "default_enrollments" else "SsoHandedOff"
        metrics.add_metric(name=name, unit="Count", value=1)
    except Exception:
        # Failing open: the login goes on; the next login attaches again.
        logger.exception("could not queue the rest of an SSO login", extra={"user_id": user_id})
        metrics.add_metric(name="SsoHandOffFailed", unit="Count", value=1)


def complete_request(request: queues.SsoAttachRequest) -> LoginOutcome:
    """The SSO attach queue's consumer: finish a login (or only its default enrollments)."""
    if request.email:
        learners.remember_email(request.user_id, request.email, "sso")
    if request.reason == "default_enrollments":
        default_enrollments.realize_for_contracts(request.user_id, request.realize_contract_ids)
        return LoginOutcome(attached=list(request.realize_contract_ids))
    outcome = sync_memberships(
        request.user_id, request.organization_ids, previously_seen=request.previously_seen
    )
    # The login that ran out of time may have attached some contracts without noting it; realizing
    # is exactly-once per intention, so covering every contract the learner is in is safe.
    contract_ids = set(outcome.attached) | set(outcome.already_attached) | set(request.realize_contract_ids)
    default_enrollments.realize_for_contracts(request.user_id, sorted(contract_ids))
    return outcome


# --- Keycloak: the organization claim on a learner's token --------------------------------------

_RECENT_LIMIT = 10_000
# Fingerprint of the claim set each learner was last synced with in this process: a learner's
# further calls cost nothing until their claims change.
_recent: dict[str, str] = {}


def sync_claims(user_id: str, organization_ids: Iterable[str]) -> None:
    """Attach/detach a learner whose token names ``organization_ids``, when that set changed.

    Nothing is read or written when this process already saw the set; otherwise one conditional
    write tells whether it changed since the learner's last call, and only a change costs more.
    Never raises: a failure goes to the SSO attach queue and the learner's request goes on.
    """
    named = sorted(set(organization_ids))
    print_ = repo.fingerprint(named)
    if _recent.get(user_id) == print_:
        return
    previous: frozenset[str] | None = None
    try:
        swapped = store.swap_seen(user_id, named, utcnow())
        if not isinstance(swapped, repo.Unchanged):
            previous = swapped
            login(user_id, named, previously_seen=previous)
    except Exception:
        logger.exception("SSO claim sync failed; handing it to the queue", extra={"user_id": user_id})
        _hand_off(user_id, named, LoginOutcome(previously_seen=previous), "error")
        # Forget the marker too, so the learner's next call tries again even if the queue did not
        # take the message (the message carries what was seen before, for detaching).
        try:
            store.forget_seen(user_id)
        except Exception:
            logger.exception("could not reset the SSO seen marker", extra={"user_id": user_id})
        return
    if len(_recent) >= _RECENT_LIMIT:
        _recent.clear()
    _recent[user_id] = print_


_ALIAS = re.compile(r"[A-Za-z0-9._-]+")


def _claim_text(text: str) -> Any:
    """A claim that arrived as text: JSON, the JWT authorizer's "[a b]" rendering of a list, or a
    single alias (None when it is none of these)."""
    try:
        return json.loads(text)
    except ValueError:
        text = text.strip()
        if text.startswith("[") and text.endswith("]"):
            return text[1:-1].split()
        return [text] if _ALIAS.fullmatch(text) else None


def organization_ids_from_claim(value: Any) -> list[str] | None:
    """SSO organization identifiers in a Keycloak ``organization`` claim, possibly as JSON text as
    API Gateway passes it. None when the claim is absent or unreadable.

    Keycloak 26's organization membership mapper emits a list of aliases (``["acme"]``) by default
    and, with "Add organization id", a map ``{"acme": {"id": "<uuid>"}}``: the list names aliases,
    the map names ids (an organization resolves by either: see ``Organization.sso_aliases``).
    """
    if isinstance(value, str):
        value = _claim_text(value)
    if isinstance(value, list):
        return sorted({a for a in value if isinstance(a, str) and a})
    if not isinstance(value, dict):
        return None
    ids = []
    for alias, attributes in value.items():
        if isinstance(attributes, dict) and isinstance(attributes.get("id"), str) and attributes["id"]:
            ids.append(attributes["id"])
        elif alias:
            ids.append(alias)  # a map entry without an id: the alias is all there is
    return sorted(set(ids))
