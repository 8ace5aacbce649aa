"""Run the benchmark modules (``bench/bench_*.py``, each with ``run() -> list[Row]``) and write
docs/benchmarks.md.

``python -m bench`` (``make bench``) runs every section; ``python -m bench codes sso``
(``make bench ARGS="codes sso"``) runs only those, and rewrites only their sections of the document:
the other sections, and the document's header, stay as they were. Each section says when, where and
with which command it was measured. ``codes_large`` (a 100,000-code contract) takes about 18 minutes
of a full run's 25 or so; the other sections take a minute or a few each."""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Row

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "benchmarks.md"
FIGURES = ROOT / "docs" / "benchmarks.json"
MARK = "<!-- section: {} -->"


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, {platform.system()}"


HEADER = (
    "# Benchmarks\n\n"
    "Written by `make bench` (`python -m bench`; one section: `make bench ARGS=SECTION`); every figure "
    "below was measured against moto in server mode on 127.0.0.1 (so absolute latencies are moto's, not "
    "DynamoDB's; request counts and ratios carry over). Each section says when, on which machine and with "
    "which command it was measured.\n\n"
)


def section_names() -> list[str]:
    """The sections there are: ``bench_<name>.py`` modules, named without the prefix."""
    return sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))


def render(name: str, rows: list[Row], stamp: str = "") -> str:
    lines = [MARK.format(name), f"### {rows[0].section if rows else name}", ""]
    if stamp:
        lines += [stamp, ""]
    lines += ["| metric | measured | target | met | note |", "|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.ok is None else ("yes" if row.ok else "**no**")
        lines.append(f"| {row.metric} | {row.value} | {row.target} | {met} | {row.note} |")
    return "\n".join(lines) + "\n"


def merge(existing: str | None, measured: dict[str, str], *, full: bool) -> str:
    """The document with the ``measured`` sections (keyed ``bench_<name>``) in place.

    A full run writes the header and its sections only. A partial run keeps the existing document
    byte for byte (header and the other sections) except for the sections it measured."""
    if full or not existing:
        head, sections = HEADER, {}
    else:
        parts = re.split(r"(?=<!-- section: )", existing)
        head, sections = parts[0], {}
        for part in parts[1:]:
            found = re.match(r"<!-- section: (\S+) -->", part)
            if found:
                sections[found.group(1)] = part.rstrip() + "\n"
    sections |= measured
    return head + "\n".join(sections[k] for k in sorted(sections))


def main(argv: list[str]) -> int:
    names = section_names()
    wanted = [arg.removeprefix("bench_") for arg in argv]
    unknown = [name for name in wanted if name not in names]
    if unknown:
        print(f"no benchmark section {', '.join(unknown)}; sections: {' '.join(names)}", file=sys.stderr)
        return 2
    selected = [f"bench_{name}" for name in names if not wanted or name in wanted]
    command = "make bench" + (f" ARGS={' '.join(wanted)!r}".replace("'", '"') if wanted else "")
    sections: dict[str, str] = {}
    figures: dict[str, float] = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    failures = 0
    for name in selected:
        print(f"== {name}", flush=True)
        try:
            rows: list[Row] = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:  # one broken benchmark must not cost the others their figures
            traceback.print_exc()
            rows = [Row(name, "benchmark", "did not complete", "completes", False, repr(exc)[:300])]
        for row in rows:
            print(f"   {row.metric}: {row.value} (target {row.target or '-'})", flush=True)
            failures += row.ok is False
            if row.key and row.number is not None:
                figures[row.key] = row.number
        stamp = f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()} by `{command}`._"
        sections[name] = render(name, rows, stamp)
    existing = OUTPUT.read_text() if OUTPUT.exists() else None
    OUTPUT.write_text(merge(existing, sections, full=not wanted))
    FIGURES.write_text(json.dumps(dict(sorted(figures.items())), indent=2) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}; targets missed: {failures}")
    from bench import cost_model

    cost_model.write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
