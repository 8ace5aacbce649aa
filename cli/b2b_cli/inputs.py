"""Checks on what the operator typed, before anything is sent (mistakes here exit with code 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

import typer

from b2b_cli.session import usage

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON instead of a table (for scripts).")
]

WideFlag = Annotated[
    bool, typer.Option("--wide", help="Show every column at full width (the terminal may wrap lines).")
]


class MembershipChoice(StrEnum):
    """How learners join; ``sso`` and ``non-sso`` are the older names of ``auto`` and ``code``."""

    auto = "auto"
    code = "code"
    managed = "managed"
    sso = "sso"
    non_sso = "non-sso"


def when(value: str | None, option: str) -> str | None:
    """An ISO 8601 date or date-time (UTC when no offset is given) as the API expects it."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise usage(f"{value!r} is not a date (use 2026-01-31 or 2026-01-31T09:00:00Z)", option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def price(value: str | None, option: str = "--price") -> str | None:
    """A decimal amount, sent as a string so no float rounding creeps in."""
    if value is None:
        return None
    try:
        amount = Decimal(value.strip().lstrip("$"))
    except InvalidOperation:
        raise usage(f"{value!r} is not an amount (e.g. 0, 49.99)", option) from None
    if not amount.is_finite():
        raise usage(f"{value!r} is not an amount (e.g. 0, 49.99)", option)
    return str(amount)


def exclusive(option: str, value: object, remover: str, removing: bool) -> None:
    """Refuse setting and removing the same thing in one command."""
    if value is not None and removing:
        raise usage(f"give {option} or {remover}, not both", f"{option} / {remover}")
