"""`b2b contract …`: create and change contracts, attach courseware."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

import typer

from b2b_cli import inputs
from b2b_cli.client import ApiClient, ApiError, segment
from b2b_cli.codes import needs_codes
from b2b_cli.inputs import JsonFlag, MembershipChoice, WideFlag
from b2b_cli.output import emit_json, note, record, warning
from b2b_cli.session import as_dict, call, usage
from b2b_cli.views import ATTACHMENT_TABLES

# Membership types whose learners come in through the organization's SSO.
SSO_MEMBERSHIPS = frozenset({"auto", "sso", "managed"})

app = typer.Typer(help="Create and change contracts; attach courseware to them.", no_args_is_help=True)

Start = Annotated[str | None, typer.Option(help="Start date/time, ISO 8601 (UTC unless an offset is given).")]
End = Annotated[
    str | None, typer.Option(help="End date/time, ISO 8601 (the contract is closed from then on).")
]
MaxLearners = Annotated[int | None, typer.Option(help="Cap on distinct learners attached to the contract.")]
PriceOpt = Annotated[
    str | None, typer.Option("--price", help="Fixed price per enrollment, e.g. 49.99 (0 = free).")
]


def show_contract(title: str, contract: Any, as_json: bool) -> None:
    if as_json:
        emit_json(contract)
    else:
        record(title, as_dict(contract))


@app.command(
    epilog=(
        'Example: b2b contract create UniversityX "UniversityX Contract" non-sso --create '
        '--max-learners 200 --description "Capped non-SSO contract"'
    )
)
def create(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    organization: Annotated[str, typer.Argument(help="Organization name (not its id).")],
    name: Annotated[str, typer.Argument(help="Contract name; its slug is generated.")],
    membership_type: Annotated[
        MembershipChoice,
        typer.Argument(help="How learners join: auto (=sso), code (=non-sso) or managed (code + SSO)."),
    ],
    create_organization: Annotated[
        bool,
        typer.Option(
            "--create/--no-create",
            help="Create the organization when no organization has this name; without --create an "
            "unknown name is refused (so a typo never makes a second organization).",
        ),
    ] = False,
    start: Start = None,
    end: End = None,
    max_learners: MaxLearners = None,
    price: PriceOpt = None,
    description: Annotated[str | None, typer.Option(help="Free text about the contract.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a contract for the organization named ORGANIZATION (with --create, made when missing)."""
    body: dict[str, Any] = {
        "organization_name": organization,
        "create_organization": create_organization,
        "name": name,
        "membership_type": membership_type.value,
    }
    optional = {
        "start": inputs.when(start, "--start"),
        "end": inputs.when(end, "--end"),
        "max_learners": max_learners,
        "price": inputs.price(price),
        "description": description,
    }
    body |= {key: value for key, value in optional.items() if value is not None}
    contract = call(ctx, lambda api: _create(api, body))
    show_contract(f"Contract {as_dict(contract).get('id', '')} created", contract, as_json)
    if membership_type.value in SSO_MEMBERSHIPS:
        organization_id = as_dict(contract).get("organization_id")
        org = call(ctx, lambda api: api.get(f"/v1/organizations/{segment(str(organization_id))}"))
        if not as_dict(org).get("sso_organization_id"):
            warning(
                f"organization {organization!r} has no SSO organization id, so nobody can join this "
                f"contract through SSO yet: set it with `b2b org modify {organization_id} --sso-id "
                "<the identity provider's organization id>`"
            )


def _create(api: ApiClient, body: dict[str, Any]) -> Any:
    try:
        return api.post("/v1/contracts", body)
    except ApiError as exc:
        if exc.status != 404 or exc.code != "organization_not_found":
            raise
        name = body["organization_name"]
        names = [str(org.get("name")) for page in api.pages("/v1/organizations") for org in page]
        close = difflib.get_close_matches(name.casefold(), [n.casefold() for n in names], n=3, cutoff=0.6)
        # Closest first, as difflib ranks them.
        guesses = sorted((n for n in names if n.casefold() in close), key=lambda n: close.index(n.casefold()))
        hint = f" (did you mean {' or '.join(repr(g) for g in guesses)}?)" if guesses else ""
        raise ApiError(
            404, exc.code, f"no organization is named {name!r}{hint}; add --create to create it", []
        ) from None


@app.command(
    epilog="Example: b2b contract modify 12 --max-learners 250 --no-price --end 2027-06-30",
)
def modify(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    contract_id: Annotated[int, typer.Argument(help="Contract id (see `b2b list contracts`).")],
    start: Start = None,
    end: End = None,
    max_learners: MaxLearners = None,
    price: PriceOpt = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Activate, or deactivate (soft delete).")
    ] = None,
    delete: Annotated[
        bool, typer.Option("--delete", help="Same as --inactive: deactivate; the data is kept.")
    ] = False,
    no_price: Annotated[bool, typer.Option("--no-price", help="Remove the price (free).")] = False,
    no_learner_cap: Annotated[bool, typer.Option("--no-learner-cap", help="Remove the learner cap.")] = False,
    no_start_date: Annotated[bool, typer.Option("--no-start-date", help="Remove the start date.")] = False,
    no_end_date: Annotated[bool, typer.Option("--no-end-date", help="Remove the end date.")] = False,
    description: Annotated[str | None, typer.Option(help="Replace the description.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a contract: set or remove price, learner cap, dates; activate or deactivate it."""
    inputs.exclusive("--price", price, "--no-price", no_price)
    inputs.exclusive("--max-learners", max_learners, "--no-learner-cap", no_learner_cap)
    inputs.exclusive("--start", start, "--no-start-date", no_start_date)
    inputs.exclusive("--end", end, "--no-end-date", no_end_date)
    if delete:
        if active:
            raise usage("give --active or --delete, not both", "--active / --delete")
        active = False
    body: dict[str, Any] = {}
    for key, value, remove in (
        ("start", inputs.when(start, "--start"), no_start_date),
        ("end", inputs.when(end, "--end"), no_end_date),
        ("max_learners", max_learners, no_learner_cap),
        ("price", inputs.price(price), no_price),
    ):
        if remove:
            body[key] = None  # null removes the value
        elif value is not None:
            body[key] = value
    if active is not None:
        body["active"] = active
    if description is not None:
        body["description"] = description
    if not body:
        raise usage("nothing to change: give at least one option (see --help)")
    contract = call(ctx, lambda api: api.patch(f"/v1/contracts/{segment(contract_id)}", body))
    show_contract(f"Contract {contract_id} updated", contract, as_json)


@app.command(epilog="Example: b2b contract show 12")
def show(
    ctx: typer.Context,
    contract_id: Annotated[int, typer.Argument(help="Contract id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one contract."""
    contract = call(ctx, lambda api: api.get(f"/v1/contracts/{segment(contract_id)}"))
    show_contract(f"Contract {contract_id}", contract, as_json)


@app.command(
    epilog=(
        "Examples: b2b contract courseware 12 course-v1:UAI_SOURCE+14.100x  ·  "
        "b2b contract courseware 12 course-v1:UAI_SOURCE+14.100x --remove"
    )
)
def courseware(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    contract_id: Annotated[int, typer.Argument(help="Contract id.")],
    courseware_id: Annotated[str, typer.Argument(help="Readable id of a course, course run or program.")],
    no_create_runs: Annotated[
        bool, typer.Option("--no-create-runs", help="Only record the link (a course shell); make no runs.")
    ] = False,
    remove: Annotated[
        bool, typer.Option("--remove", help="Unlink the courseware; its runs are kept, not deleted.")
    ] = False,
    as_json: JsonFlag = False,
    wide: WideFlag = False,
) -> None:
    """Attach a course, course run or program to a contract (or detach it with --remove)."""
    if remove and no_create_runs:
        raise usage("--no-create-runs has no meaning with --remove", "--no-create-runs")
    base = f"/v1/contracts/{segment(contract_id)}/courseware"
    if remove:
        result = call(ctx, lambda api: api.delete(f"{base}/{segment(courseware_id)}"))
        if as_json:
            emit_json(
                result if result is not None else {"removed": courseware_id, "contract_id": contract_id}
            )
        elif result:
            record(f"Removed {courseware_id} from contract {contract_id}", as_dict(result))
        else:
            note(f"Removed {courseware_id} from contract {contract_id}.")
        return
    body = {"courseware_id": courseware_id, "create_runs": not no_create_runs}
    result = call(ctx, lambda api: _attach(api, base, body))
    if as_json:
        emit_json(result)
        return
    record(
        f"Attached {courseware_id} to contract {contract_id}",
        as_dict(result),
        nested=ATTACHMENT_TABLES,
        wide=wide,
    )
    attached = as_dict(result)
    if attached.get("created_runs") or attached.get("assigned_runs"):
        contract = as_dict(call(ctx, lambda api: api.get(f"/v1/contracts/{segment(contract_id)}")))
        if needs_codes(contract):
            note(
                f"Enrollment codes for the new runs are being made in the background. Watch them with "
                f"`b2b codes health {contract_id}`; `b2b list contracts --codes {contract_id}` waits for "
                "them before it exports."
            )


# What registers each kind of courseware in the catalog, for the operator who attached a missing one.
_REGISTER = {
    "course_not_found": "b2b catalog add-course COURSE_ID TITLE, and its source run: "
    "b2b catalog add-run COURSE_ID+SOURCE",
    "course_run_not_found": "b2b catalog add-run RUN_ID",
    "program_not_found": "b2b catalog add-program PROGRAM_ID TITLE COURSE_ID…",
}


def _attach(api: ApiClient, path: str, body: dict[str, Any]) -> Any:
    try:
        return api.post(path, body)
    except ApiError as exc:
        register = _REGISTER.get(exc.code) if exc.status == 404 else None
        if register is None:
            raise
        message = f"{exc.message}; register it first: {register}"
        raise ApiError(exc.status, exc.code, message, []) from None
