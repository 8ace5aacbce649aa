"""docs/benchmarks.md: a run of one section rewrites that section only."""

from __future__ import annotations

from bench.__main__ import HEADER, MARK, merge, render, section_names
from bench.harness import Row

DOCUMENT = (
    "# Benchmarks\n\nolder header, kept as it is\n\n"
    f"{MARK.format('bench_admin')}\n### Admin\n\n_Measured long ago._\n\n| admin row |\n\n"
    f"{MARK.format('bench_codes')}\n### Codes\n\n_Measured long ago._\n\n| old codes row |\n\n"
    f"{MARK.format('bench_sso')}\n### SSO\n\n| sso row |\n"
)


def test_one_section_run_touches_only_its_section():
    # Given a document with three sections, when only the codes section is measured again
    fresh = render(
        "bench_codes", [Row("Codes", "new metric", "1")], "_Measured now by `make bench ARGS=codes`._"
    )
    merged = merge(DOCUMENT, {"bench_codes": fresh}, full=False)
    # Then the header and the other sections are unchanged, byte for byte
    before, after = DOCUMENT.split(MARK.format("bench_codes")), merged.split(MARK.format("bench_codes"))
    assert after[0] == before[0]
    assert after[1].split(MARK.format("bench_sso"))[1] == before[1].split(MARK.format("bench_sso"))[1]
    # And the codes section is the new one, with its own stamp, and the old row is gone
    assert "| new metric | 1 |" in merged
    assert "_Measured now by `make bench ARGS=codes`._" in merged
    assert "old codes row" not in merged


def test_a_full_run_writes_the_header_and_its_sections():
    merged = merge(DOCUMENT, {"bench_admin": render("bench_admin", [])}, full=True)
    assert merged.startswith(HEADER)
    assert "older header" not in merged
    assert MARK.format("bench_sso") not in merged


def test_the_slow_case_is_a_section_of_its_own():
    assert {"codes", "codes_large"} <= set(section_names())
