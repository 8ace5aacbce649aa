"""Organization repository: canonical item plus alias items that make slug, key and SSO id unique."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from b2b.db import keys, retry
from b2b.db.counters import next_id
from b2b.db.errors import translate_errors
from b2b.db.models import OrganizationItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict, ErrorDetail, NotFound
from b2b.domain.model import Organization, OrganizationSearch, Page

_UNIQUE_FIELDS = frozenset({"name", "org_key", "sso_organization_id", "sso_aliases"})


def _alias_keys(org: Organization) -> list[tuple[str, str]]:
    """(partition key, field it makes unique) for every alias item of ``org``.

    Every SSO identifier (the primary one and each of ``sso_aliases``) gets an ``ORG_SSO#`` item,
    so whichever one an identity provider sends resolves with one GetItem.
    """
    aliases = [(keys.org_slug_pk(org.slug), "name"), (keys.org_key_pk(org.org_key), "org_key")]
    for identifier in org.sso_identifiers:
        field = "sso_organization_id" if identifier == org.sso_organization_id else "sso_aliases"
        aliases.append((keys.org_sso_pk(identifier), field))
    return aliases


def _item(org: Organization, pk: str, *, canonical: bool) -> OrganizationItem:
    item = OrganizationItem(
        pk=pk,
        sk=keys.ORG_SK,
        org_id=org.id,
        name=org.name,
        slug=org.slug,
        org_key=org.org_key,
        org_key_prefix=org.org_key_prefix,
        sso_organization_id=org.sso_organization_id,
        sso_aliases=list(org.sso_aliases) or None,
        description=org.description,
        created_at=org.created_at,
        updated_at=org.updated_at,
        version=org.version,
    )
    if canonical:
        item.gsi1pk = keys.ORGS_GSI1_PK
        item.gsi1sk = keys.org_gsi1_sk(org.id)
    return item


def to_organization(item: OrganizationItem) -> Organization:
    """The domain organization an item (canonical or alias) holds."""
    return Organization(
        id=int(item.org_id),
        name=item.name,
        slug=item.slug,
        org_key=item.org_key,
        org_key_prefix=item.org_key_prefix,
        sso_organization_id=item.sso_organization_id,
        sso_aliases=tuple(str(a) for a in item.sso_aliases or ()),
        description=item.description,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


def _duplicate_error(fields: list[str]) -> Conflict:
    return Conflict(
        message="an organization with the same " + ", ".join(fields) + " already exists",
        details=[ErrorDetail(f, "already taken by another organization") for f in fields],
        code="duplicate",
    )


def _run_transaction(build: Sequence[tuple[str, OrganizationItem, str, Condition]]) -> None:
    """Run (label, item, operation, condition) writes; a failed alias condition names its field."""
    for attempt in range(retry.ATTEMPTS):
        tx = Transaction()
        for label, item, operation, condition in build:
            if operation == "put":
                tx.put(label, item, condition)
            else:
                tx.delete(label, item, condition)
        try:
            tx.commit()
            return
        except TransactionCancelled as cancelled:
            if cancelled.conflicted and retry.retry_left(attempt):
                retry.pause(attempt)
                continue
            duplicates = [label for label in _UNIQUE_FIELDS if cancelled.failed(label)]
            if duplicates:
                raise _duplicate_error(duplicates) from cancelled
            raise Conflict("the organization was changed by someone else; reload and retry") from cancelled


def create_organization(org: Organization) -> Organization:
    """Store a new organization (``org.id`` is ignored: a fresh id is taken from the counter).

    Raises :class:`Conflict` naming the field when the slug, org key or SSO id is taken.
    """
    org = replace(org, id=next_id("organization"), version=1)
    is_new = OrganizationItem.pk.does_not_exist()
    build: list[tuple[str, OrganizationItem, str, Condition]] = [
        ("organization", _item(org, keys.org_pk(org.id), canonical=True), "put", is_new)
    ]
    for pk, field in _alias_keys(org):
        build.append((field, _item(org, pk, canonical=False), "put", is_new))
    _run_transaction(build)
    return org


def update_organization(current: Organization, updated: Organization) -> Organization:
    """Write ``updated`` over ``current`` if nobody changed it meanwhile (version check)."""
    new = replace(updated, version=current.version + 1)
    belongs = OrganizationItem.org_id == current.id
    build: list[tuple[str, OrganizationItem, str, Condition]] = [
        (
            "version",
            _item(new, keys.org_pk(new.id), canonical=True),
            "put",
            OrganizationItem.version == current.version,
        )
    ]
    old_aliases = dict(_alias_keys(current))
    new_aliases = dict(_alias_keys(new))
    for pk, field in new_aliases.items():
        condition: Condition = belongs if pk in old_aliases else OrganizationItem.pk.does_not_exist()
        build.append((field, _item(new, pk, canonical=False), "put", condition))
    for pk in old_aliases.keys() - new_aliases.keys():
        build.append(("old alias", _item(current, pk, canonical=False), "delete", belongs))
    _run_transaction(build)
    return new


def _get(pk: str, what: str) -> Organization:
    with translate_errors():
        try:
            return to_organization(OrganizationItem.get(pk, keys.ORG_SK))
        except DoesNotExist as exc:
            raise NotFound(f"organization {what} not found", code="organization_not_found") from exc


def get_organization(org_id: int) -> Organization:
    """One GetItem by id."""
    return _get(keys.org_pk(org_id), str(org_id))


def get_organization_by_slug(slug: str) -> Organization:
    """One GetItem on the slug alias."""
    return _get(keys.org_slug_pk(slug), f"with slug {slug!r}")


def get_organization_by_sso_id(sso_organization_id: str) -> Organization:
    """One GetItem on the SSO-id alias."""
    return _get(keys.org_sso_pk(sso_organization_id), f"with SSO id {sso_organization_id!r}")


def list_organizations(
    limit: int, cursor: str | None, search: OrganizationSearch | None = None
) -> Page[Organization]:
    """One Query on gsi1 per page, in id order; ``search`` keeps the organizations whose name
    contains its text (case-insensitively, through the slug) or whose org key contains it."""
    condition: Condition | None = None
    if search is not None:
        condition = OrganizationItem.name.contains(search.text)
        if search.slug:
            condition |= OrganizationItem.slug.contains(search.slug)
        if search.key:
            condition |= OrganizationItem.org_key.contains(search.key)
    with translate_errors():
        result = OrganizationItem.gsi1.query(
            keys.ORGS_GSI1_PK,
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ("gsi1pk", keys.ORGS_GSI1_PK)),
        )
        items = [to_organization(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))
