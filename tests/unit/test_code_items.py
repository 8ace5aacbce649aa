"""The fast path that builds new code items stays identical to the model's own serialization."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from b2b.db.codes import code_item, new_code_attributes
from b2b.domain.code_format import ALPHABET, LENGTH, generate_code, normalize
from b2b.domain.reconcile import CodeKind, CodeStatus, EnrollmentCode


def test_new_code_attributes_match_the_model():
    moment = datetime(2026, 11, 22, 3, 4, 5, 123456, tzinfo=UTC)
    for valid in (None, moment):
        code = EnrollmentCode(
            generate_code(),
            12,
            345,
            7,
            CodeKind.ONE_TIME,
            CodeStatus.AVAILABLE,
            Decimal("25.50"),
            valid,
            valid,
            0,
            moment,
        )
        assert new_code_attributes(code) == code_item(code).serialize()


def test_generated_codes_are_normalized_crockford_and_distinct():
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) and normalize(c) == c for c in codes)
