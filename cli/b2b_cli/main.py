"""The `b2b` command: operators' workflow over the admin API.

Exit codes: 0 done, 1 the API or the network said no, 2 the command line itself is wrong.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from b2b_cli import catalog, contracts, listing, orders, organizations
from b2b_cli.client import segment
from b2b_cli.codes import Health
from b2b_cli.config import ConfigError
from b2b_cli.inputs import JsonFlag, WideFlag
from b2b_cli.output import emit_json, note, print_table, record, stdout
from b2b_cli.session import Session, as_dict, call, reporting, session_of
from b2b_cli.views import CODE_HEALTH_COLUMNS

app = typer.Typer(
    name="b2b",
    help=(
        "Manage B2B organizations, contracts, courseware, learners and enrollment codes over the admin API. "
        "Talks to the local stack (http://127.0.0.1:3000, `make run`) unless B2B_API_URL / B2B_TOKEN or a "
        "profile in ~/.config/b2b/config.toml say otherwise."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(organizations.app, name="org")
app.add_typer(contracts.app, name="contract")
app.add_typer(listing.app, name="list")
app.add_typer(catalog.app, name="catalog")
app.add_typer(orders.app, name="orders")

learners_app = typer.Typer(help="Attach learners to contracts or detach them.", no_args_is_help=True)
codes_app = typer.Typer(
    help="Enrollment code checks (export: `b2b list contracts --codes ID`).", no_args_is_help=True
)
dev_app = typer.Typer(help="Local stack helpers.", no_args_is_help=True)
app.add_typer(learners_app, name="learners")
app.add_typer(codes_app, name="codes")
app.add_typer(dev_app, name="dev")

ContractArg = Annotated[int, typer.Argument(help="Contract id.")]
UserArg = Annotated[str, typer.Argument(help="The learner's user id (the token's `sub`).")]


@app.callback(epilog="Example: B2B_PROFILE=staging b2b list contracts --org UniversityX")
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Profile of the config file (or B2B_PROFILE).")
    ] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="API base URL (or B2B_API_URL).")] = None,
) -> None:
    """Operator CLI of the B2B contracts API."""
    session = ctx.obj if isinstance(ctx.obj, Session) else Session()
    session.profile = profile or session.profile
    session.api_url = api_url or session.api_url
    ctx.obj = session
    ctx.call_on_close(session.close)


def _show(title: str, result: Any, as_json: bool) -> None:
    if as_json:
        emit_json(result)
    else:
        record(title, as_dict(result))


@learners_app.command("add", epilog="Example: b2b learners add 12 learner-42 --email ada@example.edu")
def add_learner(
    ctx: typer.Context,
    contract_id: ContractArg,
    user_id: UserArg,
    email: Annotated[
        str | None, typer.Option(help="the learner's email: their LMS account is found by it")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Attach a learner to a contract (takes a seat when the contract is capped)."""
    path = f"/v1/contracts/{segment(contract_id)}/learners/{segment(user_id)}"
    result = call(ctx, lambda api: api.put(path, {"email": email} if email else None))
    if as_json:
        emit_json(result if result is not None else {"contract_id": contract_id, "user_id": user_id})
    elif result:
        record(f"{user_id} attached to contract {contract_id}", as_dict(result))
    else:
        note(f"{user_id} attached to contract {contract_id}.")


@learners_app.command("remove", epilog="Example: b2b learners remove 12 learner-42")
def remove_learner(
    ctx: typer.Context, contract_id: ContractArg, user_id: UserArg, as_json: JsonFlag = False
) -> None:
    """Detach a learner from a contract (frees their seat)."""
    path = f"/v1/contracts/{segment(contract_id)}/learners/{segment(user_id)}"
    result = call(ctx, lambda api: api.delete(path))
    if as_json:
        emit_json(
            result
            if result is not None
            else {"contract_id": contract_id, "user_id": user_id, "removed": True}
        )
    else:
        note(f"{user_id} detached from contract {contract_id}.")


@learners_app.command("lms-sync", epilog="Example: b2b learners lms-sync 12 --learner learner-42")
def lms_sync(
    ctx: typer.Context,
    contract_id: ContractArg,
    learner: Annotated[
        str | None, typer.Option("--learner", help="Only this learner's enrollments (default: everyone's).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send again to the LMS the contract's enrollments that are not synced (failed, pending, not configured)."""
    path = f"/v1/contracts/{segment(contract_id)}"
    path += f"/learners/{segment(learner)}/lms-sync" if learner else "/lms-sync"
    result = call(ctx, lambda api: api.post(path, None))
    if as_json:
        emit_json(result)
        return
    queued = result.get("queued", []) if isinstance(result, dict) else []
    for item in queued:
        reason = f" ({item['lms_error']})" if item.get("lms_error") else ""
        note(f"{item['user_id']} {item['run_id']}: was {item['lms_state']}{reason}, queued")
    synced = result.get("already_synced", 0) if isinstance(result, dict) else 0
    note(f"{len(queued)} enrollment(s) queued for the LMS; {synced} already synced.")


@app.command(epilog="Example: b2b stats 12 --json")
def stats(ctx: typer.Context, contract_id: ContractArg, as_json: JsonFlag = False) -> None:
    """Seats, learners and code counts of a contract."""
    result = call(ctx, lambda api: api.get(f"/v1/contracts/{segment(contract_id)}/stats"))
    _show(f"Contract {contract_id} stats", result, as_json)


@codes_app.command("health", epilog="Example: b2b codes health 12")
def codes_health(
    ctx: typer.Context, contract_id: ContractArg, as_json: JsonFlag = False, wide: WideFlag = False
) -> None:
    """Whether the contract's codes match what its products, cap and price call for."""
    result = call(ctx, lambda api: api.get(f"/v1/contracts/{segment(contract_id)}/codes/health"))
    if as_json:
        emit_json(result)
        return
    body = as_dict(result)
    rows = [
        {"product_id": p.get("product_id"), **(p.get("actual") or {}), "uncounted": p.get("uncounted")}
        for p in body.get("products") or []
    ]
    health = Health.of(result)
    state = "healthy" if health.healthy else "NOT healthy"
    print_table(f"Codes of contract {contract_id}: {state}", rows, CODE_HEALTH_COLUMNS, wide=wide)
    console = stdout(wide=wide)
    if health.problems:
        console.print("Problems:", style="bold")
        for problem in health.problems:
            console.print(f"  - {problem}", markup=False, highlight=False)
    elif not rows:
        note("The contract has no products yet, so no codes to check.")


@codes_app.command("reconcile", epilog="Example: b2b codes reconcile 12")
def codes_reconcile(ctx: typer.Context, contract_id: ContractArg, as_json: JsonFlag = False) -> None:
    """Queue a reconcile of the contract's codes now (repairs drift that `b2b codes health` shows)."""
    result = call(ctx, lambda api: api.post(f"/v1/contracts/{segment(contract_id)}/reconcile", None))
    if as_json:
        _show(f"Reconcile of contract {contract_id}", result, as_json)
    else:
        note(f"Reconcile of contract {contract_id} queued (change {result['change_id']}).")


@dev_app.command(
    "token",
    epilog='Examples: b2b dev token --admin  ·  curl -H "Authorization: Bearer $(b2b dev token --sub learner-1)" …',
)
def dev_token(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    admin: Annotated[bool, typer.Option("--admin", help="Add the admin group.")] = False,
    sub: Annotated[str, typer.Option("--sub", help="The user id (`sub` claim).")] = "dev-user",
    org: Annotated[
        str | None,
        typer.Option("--org", help="SSO organization id, as Keycloak's `organization` claim names it."),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="The `email` claim (default <sub>@example.com).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a dev JWT for the local stack (signed with B2B_DEV_JWT_SECRET)."""
    with reporting():
        target = session_of(ctx).target()
        if not target.is_local:
            raise ConfigError(f"dev tokens only work on the local stack, not {target.api_url}")
    extra = {"organization": {org: {"id": org}}} if org else None
    from b2b_local.tokens import mint_token  # noqa: PLC0415 - only the local stack needs it

    token = mint_token(sub, admin=admin, email=email, extra=extra)
    if as_json:
        emit_json({"token": token, "sub": sub, "admin": admin, "organization": org})
    else:
        typer.echo(token)
