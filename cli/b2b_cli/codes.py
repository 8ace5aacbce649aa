"""Enrollment codes: the CSV export, built from the JSON pages of the codes endpoint."""

from __future__ import annotations

import csv
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


def default_codes_file(contract_id: int) -> Path:
    return Path(f"codes-{contract_id}.csv")


def csv_row(code: dict[str, Any]) -> list[str]:
    """One CSV line from a code of ``GET /v1/contracts/{id}/codes``."""
    redeemed = code.get("redeemed")
    if not isinstance(redeemed, bool):
        redeemed = code.get("status") == "redeemed"
    product = code.get("product_id")
    if product is None:
        product = code.get("product") or code.get("run_id") or ""
    return [
        str(code.get("display_code") or code.get("code") or ""),
        str(product),
        "yes" if redeemed else "no",
        str(code.get("product_url") or ""),
        str(code.get("attach_url") or ""),
    ]


def export_codes(client: ApiClient, contract_id: int, out: Path, *, show_progress: bool = True) -> int:
    """Page through the contract's codes into a CSV file; returns how many codes were written.

    The file is written next to its final name and renamed at the end, so a failure half-way
    never leaves a truncated export behind under the expected name.
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
    try:
        with progress, partial.open("w", newline="", encoding="utf-8") as handle:
            task = progress.add_task("codes", total=None, contract=contract_id)
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for page in client.page_bodies(f"/v1/contracts/{segment(contract_id)}/codes"):
                items = page["items"]
                writer.writerows(csv_row(code) for code in items)
                written += len(items)
                total = page.get("total")  # shown as a bar when the API reports it
                progress.update(task, completed=written, total=total if isinstance(total, int) else None)
            progress.update(task, total=written)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return written
