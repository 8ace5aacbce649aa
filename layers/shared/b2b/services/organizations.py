"""Organization rules: derived slug and org key, registration, lookup and changes."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from b2b.db import organizations as repo
from b2b.domain.errors import InvalidInput
from b2b.domain.model import Organization, OrganizationSearch, Page, utcnow

ORG_KEY_MAX_LENGTH = 30
DEFAULT_ORG_KEY_PREFIX = "UAI_"


def _slugify(text: str, **options: Any) -> str:
    from slugify import slugify  # noqa: PLC0415 - only writes need it; kept out of cold start

    return slugify(text, **options)


def slug_for(name: str) -> str:
    """The URL slug an organization or contract name produces."""
    return _slugify(name, max_length=100)


def derive_org_key(name: str) -> str:
    """An org key from a name: upper-case letters, digits and single underscores, at most 30 chars."""
    ascii_words = _slugify(name, separator="_").upper()
    key = re.sub(r"_+", "_", ascii_words).strip("_")[:ORG_KEY_MAX_LENGTH].rstrip("_")
    if not key:
        raise InvalidInput.for_field("org_key", "cannot be derived from the name; give one explicitly")
    return key


def register_organization(
    *,
    name: str,
    org_key: str | None = None,
    org_key_prefix: str = DEFAULT_ORG_KEY_PREFIX,
    sso_organization_id: str | None = None,
    sso_aliases: tuple[str, ...] = (),
    description: str = "",
) -> Organization:
    """Create an organization; the slug, key and SSO id must be unused (enforced by DynamoDB)."""
    slug = slug_for(name)
    if not slug:
        raise InvalidInput.for_field("name", "must contain at least one letter or digit")
    now = utcnow()
    return repo.create_organization(
        Organization(
            id=0,
            name=name,
            slug=slug,
            org_key=org_key or derive_org_key(name),
            org_key_prefix=org_key_prefix,
            sso_organization_id=sso_organization_id,
            sso_aliases=tuple(sso_aliases),
            description=description,
            created_at=now,
            updated_at=now,
            version=1,
        )
    )


def find_organization_by_name(name: str) -> Organization:
    """Look an organization up by name (through the slug the name produces)."""
    return repo.get_organization_by_slug(slug_for(name))


def get_organization(org_id: int) -> Organization:
    return repo.get_organization(org_id)


def list_organizations(limit: int, cursor: str | None, query: str | None = None) -> Page[Organization]:
    """A page of organizations; with ``query``, those whose name or org key contains it."""
    text = (query or "").strip()
    if not text:
        return repo.list_organizations(limit, cursor)
    search = OrganizationSearch(
        text=text,
        slug=_slugify(text, max_length=100),
        key=re.sub(r"_+", "_", _slugify(text, separator="_").upper()).strip("_"),
    )
    return repo.list_organizations(limit, cursor, search)


def change_organization(org_id: int, changes: dict[str, Any]) -> Organization:
    """Apply ``changes`` (name, description, org_key_prefix, sso_organization_id,
    sso_aliases) to an organization.

    The slug and the org key stay as created: run keys and URLs already use them.
    """
    current = repo.get_organization(org_id)
    if not changes:
        return current
    updated = replace(current, **changes, updated_at=utcnow())
    return repo.update_organization(current, updated)
