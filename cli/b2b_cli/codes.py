"""Enrollment codes: the CSV export, page by page from the API's paged ``codes.csv``."""

from __future__ import annotations

import csv
import io
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
