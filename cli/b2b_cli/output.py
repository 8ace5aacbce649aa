"""What the operator sees: rich tables for people, plain JSON for scripts, one line per error.

Tables fit the terminal: ids, codes and dates never wrap (an id folded over lines cannot be copied),
so when the columns do not fit, the least important ones are left out and the caption says how many;
``--wide`` shows every column at full width and lets the terminal wrap the lines instead.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

EMPTY = "—"
PIPE_WIDTH = 200
WIDE_WIDTH = 10_000
# Columns whose values are read as a whole: never wrapped, never cut.
_WHOLE_SUFFIXES = ("id", "_id", "_ids", "code", "key", "slug", "_at", "start", "end", "price", "status")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def stdout(*, wide: bool = False) -> Console:
    # Built per call so the console writes to whatever sys.stdout is now (tests swap it).
    # Piped into a file or another program, tables get room instead of folding at 80 columns.
    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    width = WIDE_WIDTH if wide else (PIPE_WIDTH if piped else None)
    return Console(file=sys.stdout, soft_wrap=wide, width=width)


def stderr() -> Console:
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def emit_json(data: Any) -> None:
    """JSON for scripts: no colour, no wrapping, one document."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def error_line(message: str) -> None:
    stderr().print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A remark for people (stderr, so piping stdout stays clean)."""
    stderr().print(message, highlight=False, markup=False)


def warning(message: str) -> None:
    stderr().print(f"[bold yellow]warning:[/] {message}", markup=True, highlight=False, soft_wrap=True)


def moment(value: str) -> str:
    """An API timestamp for people: to the second, UTC; a date alone at midnight UTC."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    if (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
        return when.strftime("%Y-%m-%d")
    return when.strftime("%Y-%m-%d %H:%M:%S")


def cell(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        # One entry a line: warnings and problems stay readable, ids stay whole.
        return "\n".join(cell(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return moment(value)
    return str(value)


def is_whole(key: str) -> bool:
    """Whether a column's values must stay on one line (ids, codes, dates, amounts)."""
    return key.rsplit(".", 1)[-1].endswith(_WHOLE_SUFFIXES)


WRAP_AT = 30  # text columns (names, titles, problems) wrap beyond this many characters


def _needed(key: str, header: str, cells: list[str]) -> int:
    """The width a column gets: its longest value when whole; text up to WRAP_AT, then it wraps."""
    lines = [line for text in cells for line in text.splitlines()] or [""]
    longest = max(len(header), *(len(line) for line in lines))
    if is_whole(key):
        return longest
    words = [word for line in lines for word in line.split()] + header.split()
    return max(min(longest, WRAP_AT), *(len(word) for word in words))


def fit(
    columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]], width: int
) -> list[tuple[str, str]]:
    """The leading columns that fit in ``width`` characters; the first column always stays."""
    kept: list[tuple[str, str]] = []
    used = 1  # the left border
    for key, header in columns:
        need = _needed(key, header, [cell(row.get(key)) for row in rows]) + 3  # padding and border
        if kept and used + need > width:
            break
        kept.append((key, header))
        used += need
    return kept


def every_column(
    rows: Sequence[dict[str, Any]], preferred: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The preferred columns first, then every other scalar key the rows have."""
    keys = [key for key, _ in preferred]
    extra: list[str] = []
    for row in rows:
        extra += [k for k, v in row.items() if k not in keys and k not in extra and not isinstance(v, dict)]
    return [*preferred, *((key, key.replace("_", " ").capitalize()) for key in extra)]


def table(
    title: str,
    rows: Iterable[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    wide: bool = False,
    width: int | None = None,
) -> Table:
    """A table of ``rows`` with ``columns`` as (key, header) pairs, cut to ``width`` unless ``wide``."""
    rows = list(rows)
    shown = list(columns) if wide or width is None else fit(columns, rows, width)
    view = Table(title=title, title_justify="left", show_lines=False)
    for key, header in shown:
        whole = wide or is_whole(key)
        view.add_column(header, no_wrap=whole, overflow="ignore" if whole else "fold")
    for row in rows:
        view.add_row(*(cell(row.get(key)) for key, _ in shown))
    caption = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    hidden = len(columns) - len(shown)
    if hidden:
        caption += f"; {hidden} more column{'s' if hidden != 1 else ''} with --wide"
    view.caption = caption
    return view


def print_table(
    title: str,
    rows: Sequence[dict[str, Any]],
    preferred: Sequence[tuple[str, str]],
    *,
    wide: bool = False,
) -> None:
    """Print ``rows`` with the preferred columns that fit the terminal, or every column with ``wide``."""
    console = stdout(wide=wide)
    columns = columns_for(rows, preferred)
    if wide:
        columns = every_column(rows, columns)
    console.print(table(title, rows, columns, wide=wide, width=console.width))


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
    return [(key, key.replace("_", " ").capitalize()) for key in ordered]


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


def record(
    title: str,
    data: dict[str, Any],
    *,
    nested: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    wide: bool = False,
) -> None:
    """One object as a two-column table, followed by a table for each list of objects inside it
    (with the columns ``nested`` names for that list, else the scalar ones)."""
    view = Table(title=title, title_justify="left", show_header=False)
    view.add_column("field", style="bold", no_wrap=True)
    view.add_column("value", overflow="fold")
    for key, value in flatten(data):
        view.add_row(key, cell(value))
    console = stdout(wide=wide)
    console.print(view)
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            print_table(key.replace("_", " ").capitalize(), value, (nested or {}).get(key, []), wide=wide)
