"""Where the CLI sends requests and with which token.

Precedence, highest first: ``--api-url`` / ``--profile`` options, the ``B2B_API_URL`` / ``B2B_TOKEN`` /
``B2B_PROFILE`` environment variables, a profile of the config file, then the local stack.
The config file (``B2B_CONFIG``, else ``$XDG_CONFIG_HOME/b2b/config.toml``, else
``~/.config/b2b/config.toml``) looks like::

    default_profile = "staging"

    [profiles.staging]
    api_url = "https://api.staging.example.org"
    token = "eyJ..."
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOCAL_API_URL = "http://127.0.0.1:3000"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(Exception):
    """The configuration cannot be used as it is (a usage error for the operator to fix)."""


@dataclass(frozen=True)
class Target:
    """The API the CLI talks to."""

    api_url: str
    token: str | None
    profile: str | None

    @property
    def is_local(self) -> bool:
        """True for the local stack (``make run``), where dev tokens are accepted."""
        return urlsplit(self.api_url).hostname in LOCAL_HOSTS


def config_path(environ: Mapping[str, str]) -> Path:
    if explicit := environ.get("B2B_CONFIG"):
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "b2b" / "config.toml"


def load_config(path: Path) -> dict[str, Any]:
    """The parsed config file, or an empty config when there is none."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _profile_settings(config: dict[str, Any], name: str | None, path: Path) -> dict[str, Any]:
    profiles = config.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table")
    if name is None:
        return {}
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"profile {name!r} is not in {path} (profiles: {known})")
    settings = profiles[name]
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: [profiles.{name}] must be a table")
    return settings


def resolve_target(
    *, profile: str | None = None, api_url: str | None = None, environ: Mapping[str, str] | None = None
) -> Target:
    """The API URL and token to use, from options, environment, config file and defaults."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    config = load_config(path)
    name = profile or env.get("B2B_PROFILE") or config.get("default_profile")
    settings = _profile_settings(config, name, path)
    url = api_url or env.get("B2B_API_URL") or settings.get("api_url") or LOCAL_API_URL
    token = env.get("B2B_TOKEN") or settings.get("token") or None
    if not urlsplit(url).scheme.startswith("http"):
        raise ConfigError(f"API URL {url!r} must start with http:// or https://")
    return Target(api_url=str(url).rstrip("/"), token=token, profile=name)
