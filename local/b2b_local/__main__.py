"""`python -m b2b_local run` starts the local stack; `token` mints a dev token; `openapi` writes the
OpenAPI document (``--check`` compares it with the committed copy); `schedule CodeDriftSweepSchedule`
runs a scheduled function on the running stack."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from b2b_local.tokens import mint_client_token, mint_token

if TYPE_CHECKING:
    from b2b_local.stack import LocalStack


def _configure_logging(verbose: int) -> None:
    """Quiet by default: warnings and errors only. ``-v`` adds a line per API request and the
    functions' INFO logs; ``-vv`` adds moto's own request lines (several a second, even idle)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("b2b_local.requests").setLevel(logging.INFO if verbose else logging.WARNING)
    # moto's server logs every request through werkzeug's logger, the queue poller's long polls too.
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose > 1 else logging.WARNING)


def _banner(stack: LocalStack, args: argparse.Namespace, lms_url: str | None) -> str:
    admin = mint_token("dev-admin", admin=True)
    if stack.data is not None:
        restored = stack.restored
        data = (
            f"kept in {stack.data.directory} (restored {restored.items:,} items, "
            f"{restored.messages:,} queued messages)"
        )
    else:
        data = "in memory only, gone when the stack stops (keep it: make run ARGS=--data .local/)"
    logs = "one line per request (--verbose)" if args.verbose else "warnings and errors (more: --verbose)"
    keycloak = (
        f"{stack.keycloak.url} (fake: realm {stack.keycloak.realm})" if stack.keycloak else "as configured"
    )
    console = "" if (stack.console_dist / "index.html").is_file() else "  (not built: make console)"
    return f"""
B2B local stack is up.
  API        {stack.api_url}        (routes from template.yaml)
  Docs       {stack.api_url}/v1/docs
  Console    {stack.api_url}/console/{console}
  moto       {stack.moto_url}  (DynamoDB + stream, SQS, EventBridge)
  Keycloak   {keycloak}
  Fake LMS   {lms_url or "off (enrollments stay not_configured)"}
  Data       {data}
  Logs       {logs}

  b2b list contracts                      the operator CLI (.venv/bin/b2b) mints its own admin token
  make -s token ARGS=--admin              an admin dev token (12 h); learners: ARGS="--sub learner-1"
  curl -H "Authorization: Bearer {admin}" {stack.api_url}/v1/organizations
  make -s token ARGS="--client storefront"  a storefront token (client credentials, orders scope)

Ctrl-C stops everything."""


def _run(args: argparse.Namespace) -> int:
    from contextlib import ExitStack  # noqa: PLC0415 - keep `token` fast

    from b2b_local.fake_lms import fake_lms  # noqa: PLC0415
    from b2b_local.persistence import data_directory  # noqa: PLC0415
    from b2b_local.stack import LocalStack  # noqa: PLC0415

    _configure_logging(args.verbose)
    stopped = threading.Event()

    def stop(*_: object) -> None:
        if stopped.is_set():  # a second Ctrl-C: leave now, without saving
            os._exit(130)
        stopped.set()

    # Explicit handlers: a shell that starts the stack in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lms_context = ExitStack()
    lms = lms_context.enter_context(fake_lms()) if args.fake_lms else None
    stack = LocalStack(
        api_port=args.port,
        workers=args.workers,
        quiet=not args.verbose,
        data_dir=data_directory(args.data) if args.data else None,
        extra_environment=lms.environment() if lms else {},
    )
    if args.console_config:
        # What /console/config.json answers instead of local sign-in (e.g. OIDC against a Keycloak).
        stack.console.config = json.loads(Path(args.console_config).read_text(encoding="utf-8"))
    try:
        stack.start()
    except OSError as exc:
        print(f"error: cannot start the local stack: {exc}", file=sys.stderr)
        stack.stop()
        lms_context.close()
        return 1
    print(_banner(stack, args, lms.url if lms else None), flush=True)
    try:
        # Wake up now and then: Python runs signal handlers in the main thread only, and a Ctrl-C the
        # kernel hands to another thread would never end an untimed wait.
        while not stopped.wait(0.5):
            pass
    finally:
        saving = " and saving the data" if stack.data is not None else ""
        print(f"\nstopping{saving}… (Ctrl-C again quits at once)", flush=True)
        stack.stop()
        lms_context.close()
    print("stopped.", flush=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    if args.client is not None:
        # A client-credentials token (the storefront's server): `--client storefront --scope ...`.
        print(mint_client_token(args.client, scopes=args.scope))
        return 0
    sub = args.sub or ("dev-admin" if args.admin else "dev-user")
    print(mint_token(sub, admin=args.admin, email=args.email, groups=args.group))
    return 0


def _schedule(args: argparse.Namespace) -> int:
    import httpx  # noqa: PLC0415 - only this command needs it

    headers = {"Authorization": f"Bearer {mint_token('dev-admin', admin=True)}"}
    response = httpx.post(
        f"{args.api.rstrip('/')}/_local/schedules/{args.name}", headers=headers, timeout=900
    )
    print(response.text)
    return 0 if response.status_code == 200 else 1


def _openapi(args: argparse.Namespace) -> int:
    from b2b_local.openapi import write_or_check  # noqa: PLC0415

    return write_or_check(args.check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="b2b-local", description="Local stack of the B2B backend")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start moto, the HTTP API on 127.0.0.1 and the queue poller")
    run.add_argument("--port", type=int, default=3000)
    run.add_argument("--workers", type=int, default=4, help="handler worker processes")
    run.add_argument(
        "--no-fake-lms",
        dest="fake_lms",
        action="store_false",
        help="do not serve a fake Open edX LMS (enrollments are then not sent anywhere)",
    )
    run.add_argument(
        "--data",
        metavar="DIR",
        help="keep tables and queued messages in DIR between runs (default: in memory only)",
    )
    run.add_argument(
        "--console-config",
        metavar="FILE",
        help="a JSON file for /console/config.json (default: this origin's API, local sign-in)",
    )
    run.add_argument(
        "--verbose",
        "-v",
        action="count",
        default=0,
        help="log each API request and the functions' INFO logs (-vv: moto's requests too)",
    )
    run.set_defaults(func=_run)
    token = commands.add_parser("token", help="print a dev JWT signed with B2B_DEV_JWT_SECRET")
    token.add_argument("--sub", help="the user id (default: dev-admin with --admin, else dev-user)")
    token.add_argument("--admin", action="store_true", help="add the admin group")
    token.add_argument("--email")
    token.add_argument("--group", action="append", help="extra cognito:groups entry")
    token.add_argument("--client", help="mint a client-credentials token for this client id instead")
    token.add_argument(
        "--scope", action="append", help="scope of a --client token (default b2b/orders.write)"
    )
    token.set_defaults(func=_token)
    schedule = commands.add_parser(
        "schedule", help="run a template schedule's function now (e.g. the drift sweep)"
    )
    schedule.add_argument("name", help="logical id of the schedule, e.g. CodeDriftSweepSchedule")
    schedule.add_argument("--api", default="http://127.0.0.1:3000", help="the running local stack")
    schedule.set_defaults(func=_schedule)
    openapi = commands.add_parser("openapi", help="write the OpenAPI document of the whole API")
    openapi.add_argument("--check", action="store_true", help="fail if the committed copy is stale")
    openapi.set_defaults(func=_openapi)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
