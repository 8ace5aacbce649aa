"""An organization resolves by any of its SSO identifiers (its id and its aliases), for every
identity provider; identifiers are unique across organizations."""

from __future__ import annotations

from admin_api import handler as admin
from b2b.db import memberships
from b2b.services import organizations
from sso_trigger import handler

from tests.factories import admin_claims, call, generate_api_gw_event, generate_context
from tests.sso_support import cognito_event, contract


def contracts_of(user: str) -> set[int]:
    return {m.contract_id for m in memberships.list_contracts_of_learner(user, 100, None).items}


def test_cognito_attribute_naming_an_alias_attaches(unique):
    # Given an organization whose SAML IdP sends "saml-<unique>" in the Cognito attribute
    org = organizations.register_organization(
        name=f"SAML Org {unique}", sso_organization_id=f"kc-{unique}", sso_aliases=(f"saml-{unique}",)
    )
    auto = contract(org, "Auto")
    user = f"saml-user-{unique}"

    handler.lambda_handler(
        cognito_event("PostAuthentication_Authentication", user, f"saml-{unique}"), generate_context()
    )

    assert contracts_of(user) == {auto.id}


def test_an_alias_cannot_be_taken_twice_and_a_changed_alias_frees_the_old_one(unique):
    def post(body):
        return call(
            admin.lambda_handler,
            generate_api_gw_event("POST", "/v1/organizations", body, claims=admin_claims()),
        )

    first = post({"name": f"First {unique}", "sso_aliases": [f"acme-{unique}"]})
    assert first.status == 201, first.body
    assert first.body["sso_aliases"] == [f"acme-{unique}"]
    # Another organization cannot claim the same identifier, as alias or as primary id
    clash = post({"name": f"Second {unique}", "sso_aliases": [f"acme-{unique}"]})
    assert clash.status == 409
    assert [d["field"] for d in clash.body["error"]["details"]] == ["sso_aliases"]
    assert post({"name": f"Third {unique}", "sso_organization_id": f"acme-{unique}"}).status == 409
    # When the first organization changes its alias, the old one is free again
    patched = call(
        admin.lambda_handler,
        generate_api_gw_event(
            "PATCH",
            f"/v1/organizations/{first.body['id']}",
            {"sso_aliases": [f"acme2-{unique}"]},
            claims=admin_claims(),
        ),
    )
    assert patched.status == 200, patched.body
    assert post({"name": f"Fourth {unique}", "sso_aliases": [f"acme-{unique}"]}).status == 201
