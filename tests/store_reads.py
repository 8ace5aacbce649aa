"""Reads only the tests need, straight from the table: they let a test look at what was stored
without going through the code under test."""

from __future__ import annotations

from typing import Any

from b2b.db import keys
from b2b.db.codes import to_code
from b2b.db.enrollments import to_enrollment
from b2b.db.models import AuditItem, EnrollmentCodeItem, EnrollmentItem, OrganizationItem
from b2b.db.organizations import to_organization
from b2b.domain.enrollments import Enrollment
from b2b.domain.model import Organization
from b2b.domain.reconcile import EnrollmentCode


def get_code(normalized: str) -> EnrollmentCode | None:
    """One code by its normalized text (one GetItem); None when there is none."""
    try:
        return to_code(EnrollmentCodeItem.get(keys.code_pk(normalized), keys.CODE_SK))
    except EnrollmentCodeItem.DoesNotExist:
        return None


def product_codes(contract_id: int, product_id: int) -> list[EnrollmentCode]:
    """Every code of one product (any status), oldest first."""
    return [
        to_code(item)  # type: ignore[arg-type]
        for item in EnrollmentCodeItem.gsi1.query(
            keys.contract_codes_gsi1_pk(contract_id),
            EnrollmentCodeItem.gsi1sk.startswith(keys.code_product_prefix(product_id)),
        )
    ]


def get_enrollment(user_id: str, run_id: str) -> Enrollment | None:
    """A learner's enrollment in a run; None when they were never enrolled."""
    try:
        return to_enrollment(EnrollmentItem.get(keys.user_pk(user_id), keys.enrollment_sk(run_id)))
    except EnrollmentItem.DoesNotExist:
        return None


def get_organization_by_key(org_key: str) -> Organization:
    """An organization through its org-key alias item."""
    return to_organization(OrganizationItem.get(keys.org_key_pk(org_key), keys.ORG_SK))


def audit_trail(contract_id: int) -> list[dict[str, Any]]:
    """A contract's audit items, oldest first."""
    return [
        {
            "action": item.action,
            "actor": item.actor,
            "contract_id": int(item.contract_id),
            "product_id": int(item.product_id) if item.product_id is not None else None,
            "code": item.code,
            "source": item.source,
            "at": item.at,
        }
        for item in AuditItem.query(
            keys.contract_pk(contract_id), AuditItem.sk.startswith(keys.AUDIT_SK_PREFIX)
        )
    ]
