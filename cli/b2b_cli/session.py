"""The per-invocation state shared by the commands: target API, client, output mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import typer

from b2b_cli.client import ApiClient, ApiError, ApiUnreachable
from b2b_cli.config import ConfigError, Target, resolve_target
from b2b_cli.output import error_line

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

LOCAL_TOKEN_SUB = "b2b-cli"


@dataclass
class Session:
    """Built by the root command; tests pass one in (``obj=``) with an httpx transport of their own."""

    profile: str | None = None
    api_url: str | None = None
    transport: httpx.BaseTransport | None = None
    environ: Mapping[str, str] | None = None
    _client: ApiClient | None = field(default=None, repr=False)

    def target(self) -> Target:
        return resolve_target(profile=self.profile, api_url=self.api_url, environ=self.environ)

    def client(self) -> ApiClient:
        if self._client is None:
            target = self.target()
            token = target.token
            if token is None:
                if not target.is_local:
                    raise ConfigError(
                        f"no token for {target.api_url}: set B2B_TOKEN or `token` in the profile"
                    )
                token = local_admin_token()
            self._client = ApiClient(target.api_url, token, local=target.is_local, transport=self.transport)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def local_admin_token(sub: str = LOCAL_TOKEN_SUB) -> str:
    """An admin dev token the local stack accepts (signed with B2B_DEV_JWT_SECRET)."""
    try:
        from b2b_local.tokens import mint_token  # noqa: PLC0415 - only the local stack needs it
    except ImportError as exc:  # pragma: no cover - the dev install always has it
        raise ConfigError(f"cannot mint a local dev token ({exc}); set B2B_TOKEN") from None
    return mint_token(sub, admin=True)


def session_of(ctx: typer.Context) -> Session:
    root = ctx.find_root()
    if not isinstance(root.obj, Session):
        root.obj = Session()
    return root.obj


@contextmanager
def reporting() -> Iterator[None]:
    """Turn API, network and configuration failures into one line on stderr and the right exit code."""
    try:
        yield
    except ApiError as exc:
        error_line(exc.line())
        raise typer.Exit(EXIT_FAILED) from None
    except ApiUnreachable as exc:
        error_line(exc.line())
        raise typer.Exit(EXIT_FAILED) from None
    except ConfigError as exc:
        error_line(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as exc:
        error_line(str(exc))
        raise typer.Exit(EXIT_FAILED) from None


def call[T](ctx: typer.Context, action: Callable[[ApiClient], T]) -> T:
    """Run ``action`` with the session's client, reporting failures as one line."""
    with reporting():
        return action(session_of(ctx).client())


def usage(message: str, param: str | None = None) -> typer.BadParameter:
    """A usage error (exit code 2) naming the option at fault."""
    return typer.BadParameter(message, param_hint=param)


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"result": value}
