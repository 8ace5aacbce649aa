"""`b2b org …`: show and change an organization (its SSO organization id above all)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from b2b_cli.client import ApiClient, ApiError, segment
from b2b_cli.inputs import JsonFlag
from b2b_cli.listing import find_organizations
from b2b_cli.output import emit_json, record
from b2b_cli.session import as_dict, call, usage

app = typer.Typer(
    help="Show and change organizations (name, SSO organization id, description).", no_args_is_help=True
)

OrgArg = Annotated[str, typer.Argument(help="Organization id, or its name, slug or org key.")]


def find_one(api: ApiClient, wanted: str) -> dict[str, Any]:
    """The one organization ``wanted`` names (by id, name, slug or org key)."""
    found = find_organizations(api, wanted)
    if len(found) > 1:
        ids = ", ".join(str(org.get("id")) for org in found)
        detail = {
            "field": "ORGANIZATION",
            "message": f"{wanted!r} names several organizations ({ids}): give the id",
        }
        raise ApiError(409, "ambiguous_organization", detail["message"], [detail])
    return found[0]


def _show(title: str, org: Any, as_json: bool) -> None:
    if as_json:
        emit_json(org)
    else:
        record(title, as_dict(org))


@app.command(epilog="Examples: b2b org show UniversityX  ·  b2b org show 3 --json")
def show(ctx: typer.Context, organization: OrgArg, as_json: JsonFlag = False) -> None:
    """Show one organization."""
    org = call(ctx, lambda api: find_one(api, organization))
    _show(f"Organization {org.get('id')}", org, as_json)


@app.command(
    epilog=(
        "Examples: b2b org modify UniversityX --sso-id 5f0c2a9e-universityx  ·  b2b org modify 3 --no-sso-id"
    )
)
def modify(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    organization: OrgArg,
    sso_id: Annotated[
        str | None,
        typer.Option(
            "--sso-id",
            help="The identity provider's id of this organization (Keycloak organization, or the value "
            "of the Cognito attribute): learners whose login names it join its SSO contracts.",
        ),
    ] = None,
    no_sso_id: Annotated[bool, typer.Option("--no-sso-id", help="Remove the SSO organization id.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Rename the organization.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Replace the description.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an organization: its SSO organization id, name or description."""
    if sso_id is not None and no_sso_id:
        raise usage("give --sso-id or --no-sso-id, not both", "--sso-id / --no-sso-id")
    body: dict[str, Any] = {}
    if sso_id is not None or no_sso_id:
        body["sso_organization_id"] = None if no_sso_id else sso_id
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description"] = description
    if not body:
        raise usage("nothing to change: give at least one option (see --help)")

    def change(api: ApiClient) -> Any:
        org = find_one(api, organization)
        return api.patch(f"/v1/organizations/{segment(str(org['id']))}", body)

    org = call(ctx, change)
    _show(f"Organization {as_dict(org).get('id', '')} updated", org, as_json)
