"""Keycloak events (the keycloak-events webhook) → SSO attachment.

A login event names a user but no organization, so the memberships come from Keycloak's admin API.
The webhook has a time budget: the lookup and the attachment run within it, and whatever does not
fit (Keycloak slow or down, DynamoDB slow) goes to the SSO attach queue, whose worker finishes it
with retries and a dead-letter queue. Events are deduplicated by their id, so the extension's
retries are harmless.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from b2b import queues
from b2b.db import webhook_events
from b2b.domain.errors import Unavailable
from b2b.domain.model import utcnow
from b2b.keycloak import (
    CredentialsRefused,
    KeycloakClient,
    KeycloakConfig,
    KeycloakOrganization,
    KeycloakUnavailable,
)
from b2b.observability import logger, metrics
from b2b.secrets import SecretUnavailable
from b2b.services import sso
from b2b.settings import get_settings

SOURCE = "keycloak"
# User events that mean "this user just signed in" (the extension prefixes them with "access.").
LOGIN_EVENTS = frozenset({"LOGIN", "REGISTER", "IDENTITY_PROVIDER_LOGIN", "IDENTITY_PROVIDER_FIRST_LOGIN"})
# Admin events on organization membership ("admin." + resource type + "-" + operation).
MEMBERSHIP_EVENTS = frozenset({"ORGANIZATION_MEMBERSHIP-CREATE", "ORGANIZATION_MEMBERSHIP-DELETE"})
# Keycloak's admin event for a removed member: resourcePath "organizations/<org id>/members/<user id>".
_MEMBER_PATH = re.compile(r"^/?organizations/[^/]+/members/(?P<user>[^/?]+)$")
# How long a delivery holds an event before a retry may take it over, and how long a finished
# event is remembered (longer than the oldest event accepted, so no replay gets through).
_LEASE_SECONDS = 60
_REMEMBER_SECONDS = 2 * 86_400

Status = Literal["processed", "queued", "duplicate", "ignored"]


@dataclass
class EventOutcome:
    """What an event did; ``reason`` says why when it did nothing or was queued."""

    status: Status
    reason: str | None = None
    login: sso.LoginOutcome = field(default_factory=sso.LoginOutcome)
    unknown_organizations: list[str] = field(default_factory=list)


def event_kind(event_type: str) -> Literal["login", "membership", "other"]:
    """``access.LOGIN`` and ``LOGIN`` (older format) are logins; membership admin events are theirs."""
    name = event_type.removeprefix("access.").removeprefix("admin.").upper()
    if name in LOGIN_EVENTS:
        return "login"
    if name in MEMBERSHIP_EVENTS:
        return "membership"
    return "other"


def member_of_path(resource_path: str | None) -> str | None:
    """The user a membership admin event is about, when its resource path names one."""
    match = _MEMBER_PATH.match(resource_path or "")
    return match.group("user") if match else None


@lru_cache(maxsize=1)
def _client() -> KeycloakClient | None:
    config = KeycloakConfig.from_settings(get_settings())
    return KeycloakClient(config) if config else None


def _identifiers(organizations: list[KeycloakOrganization]) -> list[str]:
    # Both the id and the alias: an organization registered here by either resolves.
    return sorted({i for o in organizations if o.enabled for i in (o.id, o.alias)})


def _unknown(organizations: list[KeycloakOrganization], unresolved: list[str]) -> list[str]:
    missing = set(unresolved)
    return [o.alias for o in organizations if o.enabled and o.id in missing and o.alias in missing]


def lookup_organizations(user_id: str, deadline: float | None) -> list[KeycloakOrganization] | None:
    """The user's organizations in Keycloak (None: no such user). Raises :class:`KeycloakUnavailable`
    when Keycloak cannot answer in time or is not configured."""
    try:
        client = _client()
    except SecretUnavailable as exc:
        _client.cache_clear()
        raise KeycloakUnavailable(str(exc)) from exc
    if client is None:
        raise KeycloakUnavailable("Keycloak lookups are not configured (KEYCLOAK_URL, KEYCLOAK_CLIENT_ID)")
    try:
        return client.organizations_of(user_id, deadline)
    except CredentialsRefused:
        # A rotated client secret: the next lookup builds a client with the secret read anew.
        _client.cache_clear()
        raise


def handle_event(
    *,
    event_id: str | None,
    kind: Literal["login", "membership"],
    user_id: str,
    organization_ids: list[str] | None,
) -> EventOutcome:
    """Take in one verified, fresh event about ``user_id``.

    ``organization_ids`` are the organizations the event itself names (older format), or None to
    look them up in Keycloak. Raises :class:`Unavailable` when the event could be neither done nor
    queued (the sender retries it).
    """
    settings = get_settings()
    if event_id:
        claimed = webhook_events.claim(SOURCE, event_id, utcnow(), _LEASE_SECONDS, _REMEMBER_SECONDS)
        if claimed == "done":
            metrics.add_metric(name="KeycloakEventDuplicate", unit="Count", value=1)
            logger.info("Keycloak event already taken in", extra={"event_id": event_id, "user_id": user_id})
            return EventOutcome("duplicate", "event already processed")
        if claimed == "in_progress":
            raise Unavailable(
                "another delivery of this event is in progress; retry later", code="in_progress"
            )
    try:
        outcome = _run(user_id, kind, organization_ids, settings.keycloak_hook_budget_ms / 1000)
    except Exception:
        if event_id:
            _release(event_id)
        raise
    if event_id:
        webhook_events.finish(SOURCE, event_id, utcnow(), _REMEMBER_SECONDS)
    return outcome


def _release(event_id: str) -> None:
    try:
        webhook_events.release(SOURCE, event_id)
    except Exception:
        # The claim's lease runs out by itself; the retry after that takes the event over.
        logger.exception("could not release a Keycloak event claim", extra={"event_id": event_id})


def _run(
    user_id: str, kind: Literal["login", "membership"], organization_ids: list[str] | None, budget: float
) -> EventOutcome:
    started = time.monotonic()
    organizations: list[KeycloakOrganization] = []
    if organization_ids is None:
        # Keycloak gets at most half the budget; attaching needs the rest.
        try:
            found = lookup_organizations(user_id, started + budget / 2)
        except KeycloakUnavailable as exc:
            logger.warning(
                "Keycloak lookup failed; the login goes to the queue",
                extra={"user_id": user_id, "problem": str(exc)},
            )
            _queue_lookup(user_id)
            return EventOutcome("queued", "keycloak_unavailable")
        if found is None:
            logger.info(
                "Keycloak event ignored: Keycloak knows no such user",
                extra={"user_id": user_id, "reason": "unknown_user"},
            )
            metrics.add_metric(name="KeycloakEventUnknownUser", unit="Count", value=1)
            return EventOutcome("ignored", "unknown_user")
        organizations = found
        organization_ids = _identifiers(found)
    remaining = max(0.05, budget - (time.monotonic() - started))
    login = sso.login_within_budget(user_id, organization_ids, remaining)
    unknown = (
        _unknown(organizations, login.unknown_organizations) if organizations else login.unknown_organizations
    )
    if unknown:
        logger.info(
            "Keycloak organizations not registered here: no contracts to attach",
            extra={"user_id": user_id, "organizations": unknown, "reason": "unknown_organization"},
        )
        metrics.add_metric(name="KeycloakUnknownOrganization", unit="Count", value=len(unknown))
    logger.info(
        "Keycloak event processed",
        extra={
            "user_id": user_id,
            "kind": kind,
            "organizations": organization_ids,
            "attached": login.attached,
            "detached": login.detached,
            "complete": login.complete,
        },
    )
    return EventOutcome(
        "processed" if login.complete else "queued",
        None if login.complete else "unfinished",  # out of time or DynamoDB failing: the queue finishes it
        login=login,
        unknown_organizations=unknown,
    )


def _queue_lookup(user_id: str) -> None:
    request = queues.SsoAttachRequest(user_id=user_id, organization_ids=[], reason="keycloak_lookup")
    try:
        queues.request_sso_attach(request)
    except Exception as exc:
        logger.exception("could not queue a Keycloak lookup", extra={"user_id": user_id})
        raise Unavailable("the login could not be queued; retry later", code="queue_unavailable") from exc
    metrics.add_metric(name="KeycloakLookupQueued", unit="Count", value=1)


def complete_lookup(request: queues.SsoAttachRequest) -> sso.LoginOutcome:
    """The SSO attach queue's consumer for a login whose memberships are still to be looked up.

    Raises while Keycloak cannot answer, so the message is retried (then dead-lettered).
    """
    found = lookup_organizations(request.user_id, None)
    if found is None:
        logger.info(
            "queued Keycloak login dropped: Keycloak knows no such user",
            extra={"user_id": request.user_id, "reason": "unknown_user"},
        )
        return sso.LoginOutcome()
    outcome = sso.login(request.user_id, _identifiers(found))
    unknown = _unknown(found, outcome.unknown_organizations)
    if unknown:
        logger.info(
            "Keycloak organizations not registered here: no contracts to attach",
            extra={"user_id": request.user_id, "organizations": unknown, "reason": "unknown_organization"},
        )
    return outcome
