"""`python -m b2b_local run` starts the local stack; `token` mints a dev token; `openapi` writes the
OpenAPI document (``--check`` compares it with the committed copy); `schedule CodeDriftSweepSchedule`
runs a scheduled function on the running stack."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from b2b_local.tokens import mint_client_token, mint_token


def _run(args: argparse.Namespace) -> int:
    from contextlib import ExitStack  # noqa: PLC0415 - keep `token` fast

    from b2b_local.fake_lms import fake_lms  # noqa: PLC0415
    from b2b_local.stack import LocalStack  # noqa: PLC0415

    resources = ExitStack()
    lms = resources.enter_context(fake_lms()) if args.fake_lms else None
    stack = LocalStack(
        api_port=args.port, workers=args.workers, extra_environment=lms.environment() if lms else {}
    )
    stack.start()
    admin = mint_token("dev-admin", admin=True)
    print(
        f"""
B2B local stack is up.
  API        {stack.api_url}        (routes from template.yaml)
  Docs       {stack.api_url}/v1/docs
  moto       {stack.moto_url}  (DynamoDB + stream, SQS, EventBridge)
  Queues     {", ".join(sorted((stack.resources.queue_urls if stack.resources else {}).keys()))}
  Keycloak   {stack.keycloak.url + " (fake: realm " + stack.keycloak.realm + ")" if stack.keycloak else "as configured"}
  Fake LMS   {lms.url if lms else "off (enrollments stay not_configured)"}

Admin token (12 h):   make token ARGS=--admin
  curl -H "Authorization: Bearer {admin}" {stack.api_url}/v1/organizations
Learner token:        make token ARGS="--sub learner-1"
Storefront token:     make token ARGS="--client storefront"  (client credentials, orders scope)

Ctrl-C stops everything.""",
        flush=True,
    )
    stopped = threading.Event()
    # Explicit handlers: a shell that starts the stack in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        print("\nstopping…", flush=True)
        stack.stop()
        resources.close()
    return 0


def _token(args: argparse.Namespace) -> int:
    if args.client is not None:
        # A client-credentials token (the storefront's server): `--client storefront --scope ...`.
        print(mint_client_token(args.client, scopes=args.scope))
        return 0
    print(mint_token(args.sub, admin=args.admin, email=args.email, groups=args.group))
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
    run.set_defaults(func=_run)
    token = commands.add_parser("token", help="print a dev JWT signed with B2B_DEV_JWT_SECRET")
    token.add_argument("--sub", default="dev-admin")
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
