"""`b2b list …`: organizations, contracts (and their codes), courseware, learners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from b2b_cli.client import ApiClient, ApiError, segment
from b2b_cli.codes import (
    NotReconciled,
    default_codes_file,
    export_codes,
    wait_until_reconciled,
    why_no_codes,
)
from b2b_cli.inputs import JsonFlag, WideFlag
from b2b_cli.output import emit_json, error_line, note, print_table, warning
from b2b_cli.session import EXIT_FAILED, call
from b2b_cli.views import (
    CONTRACT_COLUMNS,
    CONTRACT_RUN_COLUMNS,
    COURSEWARE_COLUMNS,
    LEARNER_COLUMNS,
    ORGANIZATION_COLUMNS,
)

app = typer.Typer(
    help="List organizations, contracts, courseware, learners; export codes.", no_args_is_help=True
)

OrgOption = Annotated[
    str | None,
    typer.Option("--org", "--organization", help="Organization id, or its name, slug or org key."),
]
ContractOption = Annotated[int, typer.Option("--contract", help="Contract id.")]


def _matches(org: dict[str, Any], wanted: str) -> bool:
    needle = wanted.strip().casefold()
    return any(str(org.get(key, "")).casefold() == needle for key in ("name", "slug", "org_key"))


def find_organizations(api: ApiClient, wanted: str | None) -> list[dict[str, Any]]:
    """All organizations, or those ``wanted`` names (by id: one GET; by name, slug or key: paged)."""
    if wanted is None:
        return api.all_items("/v1/organizations")
    if wanted.strip().isdigit():
        return [api.get(f"/v1/organizations/{segment(wanted.strip())}")]
    found = [org for page in api.pages("/v1/organizations") for org in page if _matches(org, wanted)]
    if not found:
        detail = {"field": "--org", "message": f"no organization has the name, slug or key {wanted!r}"}
        raise ApiError(404, "organization_not_found", detail["message"], [detail])
    return found


def _show(
    title: str, rows: list[dict[str, Any]], columns: list[tuple[str, str]], as_json: bool, wide: bool
) -> None:
    if as_json:
        emit_json(rows)
    else:
        print_table(title, rows, columns, wide=wide)


@app.command(epilog="Examples: b2b list organizations  ·  b2b list organizations --org UniversityX")
def organizations(
    ctx: typer.Context, org: OrgOption = None, as_json: JsonFlag = False, wide: WideFlag = False
) -> None:
    """List organizations (all, or the one given with --org)."""
    rows = call(ctx, lambda api: find_organizations(api, org))
    _show("Organizations", rows, ORGANIZATION_COLUMNS, as_json, wide)


def _contracts(api: ApiClient, org: str | None) -> list[dict[str, Any]]:
    if org is None:
        return api.all_items("/v1/contracts")
    contracts: list[dict[str, Any]] = []
    for organization in find_organizations(api, org):
        contracts += api.all_items("/v1/contracts", {"organization_id": organization["id"]})
    return contracts


@app.command(
    epilog=(
        "Examples: b2b list contracts --org UniversityX  ·  "
        "b2b list contracts --codes 12  (writes codes-12.csv)  ·  "
        "b2b list contracts --codes 12 --codes-out /tmp/uni.csv"
    )
)
def contracts(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    org: OrgOption = None,
    codes: Annotated[
        int | None, typer.Option("--codes", help="Export this contract's enrollment codes to CSV instead.")
    ] = None,
    codes_out: Annotated[
        Path | None, typer.Option("--codes-out", help="CSV file for --codes (default codes-<ID>.csv).")
    ] = None,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="With --codes: export the codes made so far, even while more are being made.",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0,
            help="With --codes: seconds to wait for the contract's codes to be reconciled.",
        ),
    ] = 300.0,
    as_json: JsonFlag = False,
    wide: WideFlag = False,
) -> None:
    """List contracts (all, or an organization's), or export a contract's codes with --codes.

    Codes are made in the background after each change to a contract or its courseware; the
    export first waits (up to --timeout) until they are all made, unless --no-wait."""
    if codes is None:
        for option, given in (("--codes-out", codes_out is not None), ("--no-wait", no_wait)):
            if given:
                raise typer.BadParameter("only with --codes", param_hint=option)
        rows = call(ctx, lambda api: _contracts(api, org))
        _show("Contracts", rows, CONTRACT_COLUMNS, as_json, wide)
        return
    if org is not None:
        raise typer.BadParameter("not with --codes (the contract id is enough)", param_hint="--org")
    contract_id = codes
    out = codes_out or default_codes_file(contract_id)
    if no_wait:
        health = None
    else:
        try:
            health = call(
                ctx, lambda api: wait_until_reconciled(api, contract_id, timeout, show_progress=not as_json)
            )
        except NotReconciled as exc:
            error_line(str(exc))
            raise typer.Exit(EXIT_FAILED) from None
    count = call(ctx, lambda api: export_codes(api, contract_id, out, show_progress=not as_json))
    reconciled = health is not None
    if as_json:
        emit_json({"contract_id": contract_id, "file": str(out), "codes": count, "reconciled": reconciled})
        return
    note(f"Wrote {count} codes of contract {contract_id} to {out}")
    if count == 0:
        note(f"No codes: {call(ctx, lambda api: why_no_codes(api, contract_id))}.")
    if not reconciled:
        warning(
            f"not waited for: codes still being made are not in the file (`b2b codes health {contract_id}`)"
        )


@app.command(epilog="Example: b2b list courseware --contract 12")
def courseware(
    ctx: typer.Context, contract: ContractOption, as_json: JsonFlag = False, wide: WideFlag = False
) -> None:
    """List the courseware (courses, runs, programs) attached to a contract, and its contract runs."""
    path = f"/v1/contracts/{segment(contract)}/courseware"
    links: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for page in call(ctx, lambda api: list(api.page_bodies(path, item_keys=("links", "runs")))):
        links += page.get("links") or []
        runs += page.get("runs") or []
    if as_json:
        emit_json({"contract_id": contract, "links": links, "runs": runs})
        return
    # One row per contract run, with its product (the product is what checkout sells).
    run_rows = [
        {**run, **{k: (run.get("product") or {}).get(k) for k in ("product_id", "price")}} for run in runs
    ]
    print_table(f"Courseware of contract {contract}", links, COURSEWARE_COLUMNS, wide=wide)
    print_table(f"Runs of contract {contract}", run_rows, CONTRACT_RUN_COLUMNS, wide=wide)


@app.command(epilog="Example: b2b list learners --contract 12 --json")
def learners(
    ctx: typer.Context, contract: ContractOption, as_json: JsonFlag = False, wide: WideFlag = False
) -> None:
    """List the learners attached to a contract and how each got in."""
    rows = call(ctx, lambda api: api.all_items(f"/v1/contracts/{segment(contract)}/learners"))
    _show(f"Learners of contract {contract}", rows, LEARNER_COLUMNS, as_json, wide)
