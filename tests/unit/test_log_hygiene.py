"""The log check of the end-to-end session catches each kind of secret (so its silence means something)."""

from __future__ import annotations

import json

from b2b.domain import code_format
from b2b_local.tokens import mint_token

from tests.log_hygiene import find_leaks


def _line(**fields: object) -> str:
    return json.dumps({"level": "INFO", "message": "checkout completed", **fields})


def test_a_clean_structured_line_passes():
    code = code_format.generate_code()
    line = _line(code=code_format.masked(code), contract_id=12, user_id="learner-1")
    assert find_leaks([line], [code]) == []


def test_a_bearer_token_is_caught():
    token = mint_token("learner-1")
    leaks = find_leaks([_line(headers={"authorization": f"Bearer {token}"})], [])
    assert [leak.kind for leak in leaks] == ["bearer token"]


def test_an_email_is_caught():
    leaks = find_leaks([_line(email="ada@example.com")], [])
    assert [leak.kind for leak in leaks] == ["email"]


def test_a_known_code_is_caught_raw_and_grouped():
    code = code_format.generate_code()
    raw = find_leaks([_line(code=code)], [code])
    grouped = find_leaks([_line(code=code_format.display(code))], [])
    assert [leak.kind for leak in raw] == ["code"]
    assert [leak.kind for leak in grouped] == ["code"]
    assert raw[0].line_number == 1
