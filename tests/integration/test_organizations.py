"""Organizations against DynamoDB (moto server): uniqueness by condition, lookups, changes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from b2b.db import organizations as repo
from b2b.domain.errors import Conflict, NotFound
from b2b.services import organizations

from tests import store_reads


def test_create_derives_slug_and_key_and_every_lookup_is_one_get(unique, ddb_requests):
    # Given a new organization with an SSO id
    org = organizations.register_organization(
        name=f"Univ {unique} of Tests", sso_organization_id=f"sso-{unique}"
    )
    assert org.slug == f"univ-{unique.lower()}-of-tests"
    assert org.org_key == f"UNIV_{unique}_OF_TESTS"
    assert org.org_key_prefix == "UAI_"

    # When it is looked up by id, slug, key and SSO id
    ddb_requests.reset()
    found = [
        repo.get_organization(org.id),
        repo.get_organization_by_slug(org.slug),
        store_reads.get_organization_by_key(org.org_key),
        repo.get_organization_by_sso_id(f"sso-{unique}"),
    ]

    # Then each lookup is one GetItem and returns the same organization
    assert ddb_requests.calls == ["GetItem"] * 4
    assert all(f == org for f in found)


def test_duplicate_key_is_refused_and_names_the_field(unique):
    organizations.register_organization(name=f"First {unique}", org_key=f"K{unique}")
    with pytest.raises(Conflict) as error:
        organizations.register_organization(name=f"Second {unique}", org_key=f"K{unique}")
    assert [d.field for d in error.value.details] == ["org_key"]
    # Nothing of the second organization was written.
    with pytest.raises(NotFound):
        organizations.find_organization_by_name(f"Second {unique}")


def test_twenty_concurrent_creates_of_one_name_make_one_organization(unique):
    name = f"Race {unique}"

    def attempt(_: int) -> str:
        try:
            organizations.register_organization(name=name)
        except Conflict:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))

    assert outcomes.count("created") == 1
    assert outcomes.count("conflict") == 19
    assert organizations.find_organization_by_name(name).name == name


def test_changing_the_sso_id_moves_its_alias(unique):
    org = organizations.register_organization(name=f"Moving {unique}", sso_organization_id=f"old-{unique}")

    changed = organizations.change_organization(
        org.id, {"sso_organization_id": f"new-{unique}", "description": "d"}
    )

    assert changed.version == org.version + 1
    assert repo.get_organization_by_sso_id(f"new-{unique}").description == "d"
    with pytest.raises(NotFound):
        repo.get_organization_by_sso_id(f"old-{unique}")
    # The slug alias carries the new data too.
    assert repo.get_organization_by_slug(org.slug).sso_organization_id == f"new-{unique}"


def test_taking_an_sso_id_in_use_is_a_conflict(unique):
    organizations.register_organization(name=f"Holder {unique}", sso_organization_id=f"taken-{unique}")
    other = organizations.register_organization(name=f"Other {unique}")
    with pytest.raises(Conflict) as error:
        organizations.change_organization(other.id, {"sso_organization_id": f"taken-{unique}"})
    assert [d.field for d in error.value.details] == ["sso_organization_id"]
    assert repo.get_organization(other.id).sso_organization_id is None


def test_list_pages_with_an_opaque_cursor(unique):
    for i in range(3):
        organizations.register_organization(name=f"Paged {unique} {i}")
    seen: list[int] = []
    cursor = None
    while True:
        page = organizations.list_organizations(2, cursor)
        assert len(page.items) <= 2
        seen.extend(o.id for o in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
        assert "pk" not in cursor  # opaque, not raw key JSON
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) >= 3
