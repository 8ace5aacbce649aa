"""Run every benchmark module (``bench/bench_*.py``, each with ``run() -> list[Row]``) and write
docs/benchmarks.md. ``python -m bench [name ...]`` runs only the named modules (and rewrites
only their sections)."""

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


def render(name: str, rows: list[Row]) -> str:
    lines = [MARK.format(name), f"### {rows[0].section if rows else name}", ""]
    lines += ["| metric | measured | target | met | note |", "|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.ok is None else ("yes" if row.ok else "**no**")
        lines.append(f"| {row.metric} | {row.value} | {row.target} | {met} | {row.note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    selected = [m for m in modules if not argv or m.removeprefix("bench_") in argv or m in argv]
    sections: dict[str, str] = {}
    if OUTPUT.exists() and argv:
        for part in re.split(r"(?=<!-- section: )", OUTPUT.read_text()):
            found = re.match(r"<!-- section: (\S+) -->", part)
            if found:
                sections[found.group(1)] = part.rstrip() + "\n"
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
        sections[name] = render(name, rows)
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m bench`); every figure below was measured in that run, against moto "
        "in server mode on 127.0.0.1 (so absolute latencies are moto's, not DynamoDB's; request counts and "
        "ratios carry over).\n\n"
        f"- machine: {machine()}\n- run at: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
    )
    OUTPUT.write_text(header + "\n".join(sections[k] for k in sorted(sections)))
    FIGURES.write_text(json.dumps(dict(sorted(figures.items())), indent=2) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}; targets missed: {failures}")
    from bench import cost_model

    cost_model.write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
