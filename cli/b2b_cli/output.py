"""What the operator sees: rich tables for people, plain JSON for scripts, one line per error."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

EMPTY = "—"


PIPE_WIDTH = 200


def stdout() -> Console:
    # Built per call so the console writes to whatever sys.stdout is now (tests swap it).
    # Piped into a file or another program, tables get room instead of folding at 80 columns.
    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(file=sys.stdout, soft_wrap=False, width=PIPE_WIDTH if piped else None)


def stderr() -> Console:
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def emit_json(data: Any) -> None:
    """JSON for scripts: no colour, no wrapping, one document."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def error_line(message: str) -> None:
    stderr().print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A remark for people (stderr, so piping stdout stays clean)."""
    stderr().print(message, highlight=False)


def cell(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def table(title: str, rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> Table:
    """A table of ``rows`` with ``columns`` as (key, header) pairs."""
    view = Table(title=title, title_justify="left", show_lines=False)
    for _, header in columns:
        view.add_column(header, overflow="fold")
    count = 0
    for row in rows:
        view.add_row(*(cell(row.get(key)) for key, _ in columns))
        count += 1
    view.caption = f"{count} row{'s' if count != 1 else ''}"
    return view


def columns_for(
    rows: Sequence[dict[str, Any]], preferred: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The preferred columns the rows have, or every scalar key when they have none of them."""
    keys = {key for row in rows for key in row}
    chosen = [(key, header) for key, header in preferred if key in keys]
    if chosen or not rows:
        return chosen or list(preferred)
    ordered: list[str] = []
    for row in rows:
        ordered += [k for k, v in row.items() if k not in ordered and not isinstance(v, dict | list)]
    return [(key, key.replace("_", " ").title()) for key in ordered]


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested objects as dotted keys; lists of objects are left out (shown as their own tables)."""
    pairs: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs += flatten(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            continue
        else:
            pairs.append((name, value))
    return pairs


def record(title: str, data: dict[str, Any]) -> None:
    """One object as a two-column table, followed by a table for each list of objects inside it."""
    view = Table(title=title, title_justify="left", show_header=False)
    view.add_column("field", style="bold")
    view.add_column("value", overflow="fold")
    for key, value in flatten(data):
        view.add_row(key, cell(value))
    console = stdout()
    console.print(view)
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            console.print(table(key.replace("_", " "), value, columns_for(value, [])))
