"""The one module that knows what an enrollment code looks like.

A code is 16 Crockford base32 characters (80 random bits from :mod:`secrets`), shown to people in
groups of four: ``7KQ2-M9XD-4TRB-HW3P``. Lookup forgives case, spaces, hyphens and the letters
Crockford base32 leaves out because they look like digits (I, L → 1; O → 0).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
LENGTH = 16
GROUP = 4
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_VALID = frozenset(ALPHABET)


def generate_code() -> str:
    """A new random code in normalized form (80 bits of entropy)."""
    # One 80-bit draw, five bits per character (much cheaper than a draw per character when
    # thousands of codes are made at once).
    bits = secrets.randbits(5 * LENGTH)
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(LENGTH))


def display(code: str) -> str:
    """The code as shown to people: groups of four separated by hyphens."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(text: str) -> str | None:
    """The normalized form of something a person typed, or None if it cannot be a code."""
    candidate = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(candidate) != LENGTH or not set(candidate) <= _VALID:
        return None
    return candidate


def masked(code: str) -> str:
    """A form safe for logs: only the last four characters."""
    return "…" + code[-GROUP:] if len(code) >= GROUP else "…"
