"""Enrollment codes: the CSV export, page by page from the API's paged ``codes.csv``.

Codes are made in the background (a queue reconciles a contract's codes after every change), so an
export first waits until the contract's codes are reconciled: an export taken half-way would hand
out fewer codes than the contract sells, with nothing to say so.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from b2b_cli.client import ApiClient, segment
from b2b_cli.output import stderr

CSV_COLUMNS = ("Code", "Product", "Redeemed", "Product URL", "Attach URL")
# Membership types that always need enrollment codes (a price makes any contract need them).
CODE_MEMBERSHIPS = frozenset({"code", "managed"})


def needs_codes(contract: dict[str, Any]) -> bool:
    """Whether a contract's products get enrollment codes (its type, or a price above 0)."""
    try:
        priced = float(contract.get("price") or 0) > 0
    except (TypeError, ValueError):
        priced = False
    return contract.get("membership_type") in CODE_MEMBERSHIPS or priced


@dataclass(frozen=True)
class Health:
    """A contract's ``codes/health`` answer, summed over its products."""

    healthy: bool
    available: int
    missing: int
    problems: list[str]

    @classmethod
    def of(cls, answer: Any) -> Health:
        body = answer if isinstance(answer, dict) else {}
        available, problems = 0, []
        for product in body.get("products") or []:
            available += int((product.get("actual") or {}).get("available") or 0)
            problems += [f"product {product.get('product_id')}: {p}" for p in product.get("problems") or []]
        return cls(bool(body.get("healthy")), available, int(body.get("missing") or 0), problems)


class NotReconciled(Exception):
    """The contract's codes were still not reconciled when the wait ran out."""

    def __init__(self, contract_id: int, waited: float, health: Health) -> None:
        self.health = health
        summary = "; ".join(health.problems) or "the health check says unhealthy"
        super().__init__(
            f"the codes of contract {contract_id} are not reconciled after {waited:.0f} s ({summary}); "
            f"`b2b codes health {contract_id}` shows them, `--no-wait` exports the codes made so far"
        )


def wait_until_reconciled(
    client: ApiClient, contract_id: int, timeout: float, *, show_progress: bool = True
) -> Health:
    """Poll the contract's code health until it is healthy; raises NotReconciled after ``timeout`` s."""
    path = f"/v1/contracts/{segment(contract_id)}/codes/health"
    began = time.monotonic()
    health = Health.of(client.get(path))
    if health.healthy:
        return health
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]codes of contract {task.fields[contract]} being made"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        disable=not show_progress,
    )
    with progress:
        task = progress.add_task("reconcile", total=None, contract=contract_id)
        delay = 1.0
        while not health.healthy:
            total = health.available + health.missing if health.missing else None
            progress.update(task, completed=health.available, total=total)
            waited = time.monotonic() - began
            if waited >= timeout:
                raise NotReconciled(contract_id, waited, health)
            time.sleep(min(delay, max(0.0, timeout - waited)))
            delay = min(delay * 1.5, 5.0)
            health = Health.of(client.get(path))
        progress.update(task, completed=health.available, total=health.available)
    return health


def why_no_codes(client: ApiClient, contract_id: int) -> str:
    """Why a contract has no codes to export, in the operator's terms, with what to do about it."""
    contract: Any = client.get(f"/v1/contracts/{segment(contract_id)}")
    contract = contract if isinstance(contract, dict) else {}
    if contract.get("active") is False:
        return (
            "the contract is inactive, so its codes are deactivated "
            f"(reactivate it: b2b contract modify {contract_id} --active)"
        )
    if not needs_codes(contract):
        return (
            f"a {contract.get('membership_type')} contract without a price needs no codes: learners join "
            "by signing in through their organization's SSO"
        )
    courseware: Any = client.get(f"/v1/contracts/{segment(contract_id)}/courseware")
    runs = courseware.get("runs") if isinstance(courseware, dict) else None
    if not runs:
        return (
            "the contract has no course runs yet, and codes are made per run: attach courseware with "
            f"`b2b contract courseware {contract_id} COURSE_ID`"
        )
    return f"its codes are all deactivated or not made yet: see `b2b codes health {contract_id}`"


def default_codes_file(contract_id: int) -> Path:
    return Path(f"codes-{contract_id}.csv")


def _total(client: ApiClient, contract_id: int) -> int | None:
    """How many codes the contract has (from its stats counters), for the progress bar."""
    stats: Any = client.get(f"/v1/contracts/{segment(contract_id)}/stats")
    codes = stats.get("codes") if isinstance(stats, dict) else None
    if not isinstance(codes, dict):
        return None
    return sum(value for value in codes.values() if isinstance(value, int))


def export_codes(client: ApiClient, contract_id: int, out: Path, *, show_progress: bool = True) -> int:
    """Page through the contract's ``codes.csv`` into one CSV file; returns how many codes were written.

    The API writes the rows (code, the product's run, redeemed, the two URLs from its templates);
    each page repeats the header, kept once here. The file is written next to its final name and
    renamed at the end, so a failure half-way never leaves a truncated export under that name.
    """
    partial = out.with_name(out.name + ".part")
    written = 0
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]codes of contract {task.fields[contract]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        disable=not show_progress,
    )
    path = f"/v1/contracts/{segment(contract_id)}/codes.csv"
    try:
        with progress, partial.open("w", newline="", encoding="utf-8") as handle:
            task = progress.add_task("codes", total=_total(client, contract_id), contract=contract_id)
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            cursor: str | None = None
            while True:
                text, cursor = client.get_csv_page(path, {"cursor": cursor} if cursor else None)
                rows = list(csv.reader(io.StringIO(text)))
                body = rows[1:] if rows and tuple(rows[0]) == CSV_COLUMNS else rows
                writer.writerows(body)
                written += len(body)
                progress.update(task, completed=written)
                if not cursor:
                    break
            progress.update(task, total=written)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return written
