"""The enrollment code format: entropy, display, forgiving lookup."""

from __future__ import annotations

from b2b.domain import code_format
from hypothesis import given
from hypothesis import strategies as st


def test_codes_are_sixteen_crockford_characters_and_differ():
    codes = {code_format.generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 16 and set(c) <= set(code_format.ALPHABET) for c in codes)
    # 16 characters of a 32-letter alphabet carry 80 bits.
    assert len(code_format.ALPHABET) ** code_format.LENGTH == 2**80


@given(st.text(alphabet=code_format.ALPHABET, min_size=16, max_size=16))
def test_what_people_type_normalizes_back(code):
    shown = code_format.display(code)
    assert shown.count("-") == 3
    assert code_format.normalize(shown) == code
    assert code_format.normalize(f"  {shown.lower()} ") == code
    assert code_format.normalize(shown.replace("-", " ")) == code


def test_ambiguous_letters_and_bad_input():
    assert code_format.normalize("O0IL-1111-2222-3333") == "0011111122223333"
    assert code_format.normalize("too-short") is None
    assert code_format.normalize("UUUU-UUUU-UUUU-UUUU") is None  # U is not in the alphabet
    assert code_format.masked("ABCDEFGHJKMNPQRS") == "…PQRS"
