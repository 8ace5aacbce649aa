"""`python -m b2b_local run` starts the local stack; `python -m b2b_local token` mints a dev token."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from b2b_local.tokens import mint_token


def _run(args: argparse.Namespace) -> int:
    from b2b_local.stack import LocalStack  # noqa: PLC0415 - keep `token` fast

    stack = LocalStack(api_port=args.port, workers=args.workers)
    stack.start()
    admin = mint_token("dev-admin", admin=True)
    print(
        f"""
B2B local stack is up.
  API        {stack.api_url}        (routes from template.yaml)
  Docs       {stack.api_url}/v1/docs
  moto       {stack.moto_url}  (DynamoDB + SQS)
  Queues     {", ".join(sorted((stack.resources.queue_urls if stack.resources else {}).keys()))}

Admin token (12 h):   make token ARGS=--admin
  curl -H "Authorization: Bearer {admin}" {stack.api_url}/v1/organizations
Learner token:        make token ARGS="--sub learner-1"

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
    return 0


def _token(args: argparse.Namespace) -> int:
    sub = args.sub or ("dev-admin" if args.admin else "dev-user")
    print(mint_token(sub, admin=args.admin, email=args.email, groups=args.group))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="b2b-local", description="Local stack of the B2B backend")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start moto, the HTTP API on 127.0.0.1 and the queue poller")
    run.add_argument("--port", type=int, default=3000)
    run.add_argument("--workers", type=int, default=4, help="handler worker processes")
    run.set_defaults(func=_run)
    token = commands.add_parser("token", help="print a dev JWT signed with B2B_DEV_JWT_SECRET")
    token.add_argument("--sub", help="the user id (default: dev-admin with --admin, else dev-user)")
    token.add_argument("--admin", action="store_true", help="add the admin group")
    token.add_argument("--email")
    token.add_argument("--group", action="append", help="extra cognito:groups entry")
    token.set_defaults(func=_token)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
