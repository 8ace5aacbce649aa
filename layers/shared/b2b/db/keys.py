"""Key formats of the single table, in one place.

Numeric ids in sort keys are zero-padded so lexical order is numeric order.
"""

from __future__ import annotations

ID_WIDTH = 10


def padded(number: int) -> str:
    """Zero-pad an integer id for use in a sort key."""
    return f"{number:0{ID_WIDTH}d}"


# Organizations: one canonical item plus one alias item per unique attribute.
ORG_SK = "ORG"
ORGS_GSI1_PK = "ORGS"


def org_pk(org_id: int) -> str:
    return f"ORG#{org_id}"


def org_slug_pk(slug: str) -> str:
    return f"ORG_SLUG#{slug}"


def org_key_pk(org_key: str) -> str:
    return f"ORG_KEY#{org_key}"


def org_sso_pk(sso_organization_id: str) -> str:
    return f"ORG_SSO#{sso_organization_id}"


def org_gsi1_sk(org_id: int) -> str:
    return f"ORG#{padded(org_id)}"


# Contracts: the contract item and its seat counter share the contract's partition.
CONTRACT_SK = "CONTRACT"
SEATS_SK = "SEATS"
# A contract whose codes the last sweep found drifting (sparse index: the sweep lists them in one Query).
DRIFT_SK = "DRIFT"
DRIFTING_GSI2_PK = "DRIFTING"
SWEEP_PK = "SWEEP#CODE_DRIFT"
SWEEP_SK = "POSITION"
CONTRACTS_GSI2_PK = "CONTRACTS"


def contract_pk(contract_id: int) -> str:
    return f"CONTRACT#{contract_id}"


def org_contracts_gsi1_pk(org_id: int) -> str:
    return f"ORG#{org_id}#CONTRACTS"


def contract_gsi_sk(contract_id: int) -> str:
    return f"CONTRACT#{padded(contract_id)}"


# Atomic counters for human-typeable integer ids.
COUNTER_SK = "COUNTER"


def counter_pk(name: str) -> str:
    return f"COUNTER#{name}"


# Products: one per contract run. Canonical item by id; listed per contract on gsi1.
PRODUCT_SK = "PRODUCT"


def product_pk(product_id: int) -> str:
    return f"PRODUCT#{product_id}"


def contract_products_gsi1_pk(contract_id: int) -> str:
    return f"CONTRACT#{contract_id}#PRODUCTS"


def product_gsi_sk(product_id: int) -> str:
    return f"PRODUCT#{padded(product_id)}"


# Enrollment codes: one item per code, keyed by its normalized form (O(1) lookup).
CODE_SK = "CODE"


def code_pk(normalized_code: str) -> str:
    return f"CODE#{normalized_code}"


def contract_codes_gsi1_pk(contract_id: int) -> str:
    return f"CONTRACT#{contract_id}#CODES"


# Learners: a membership item in the contract's partition, listed per learner on gsi1.
def membership_sk(user_id: str) -> str:
    return f"LEARNER#{user_id}"


MEMBERSHIP_SK_PREFIX = "LEARNER#"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def user_contracts_gsi1_pk(user_id: str) -> str:
    return f"USER#{user_id}#CONTRACTS"


# Enrollments: in the learner's partition, one per course run (the natural key of a checkout).
ENROLLMENT_SK_PREFIX = "ENROLLMENT#"


def enrollment_sk(run_id: str) -> str:
    return f"{ENROLLMENT_SK_PREFIX}{run_id}"


ENROLLMENT_HISTORY_SK_PREFIX = "ENROLLMENT_HISTORY#"


def enrollment_history_sk(run_id: str, enrolled_at: str) -> str:
    """An ended enrollment kept when the learner enrolls in the run again (one per earlier enrollment)."""
    return f"{ENROLLMENT_HISTORY_SK_PREFIX}{run_id}#{enrolled_at}"


# The learner's LMS account (username resolved by email), in the learner's partition.
LMS_ACCOUNT_SK = "LMS_ACCOUNT"
# The learner's email as a sign-in or an operator last gave it (finds their LMS account).
LEARNER_EMAIL_SK = "EMAIL"


# Code counters: one item per product in the contract's partition, so stats never scan codes.
CODE_COUNTER_SK_PREFIX = "CODESTATS#"


def code_counter_sk(product_id: int) -> str:
    return f"{CODE_COUNTER_SK_PREFIX}{padded(product_id)}"


# Checkout: failed code attempts per user and fixed window (TTL), replayable checkout responses
# per user and Idempotency-Key (TTL), and the audit trail kept in the contract's partition.
def code_attempts_pk(user_id: str) -> str:
    return f"CODE_ATTEMPTS#{user_id}"


def code_attempts_sk(window_index: int) -> str:
    return f"WINDOW#{window_index}"


CHECKOUT_RESULT_SK = "CHECKOUT"


def checkout_result_pk(user_id: str, idempotency_key: str) -> str:
    return f"IDEMPOTENCY#{user_id}#{idempotency_key}"


AUDIT_SK_PREFIX = "AUDIT#"


def audit_sk(at_iso: str, event_id: str) -> str:
    return f"{AUDIT_SK_PREFIX}{at_iso}#{event_id}"


# Catalog: courses, course runs and programs, each one item under its readable id.
COURSE_SK = "COURSE"
RUN_SK = "RUN"
PROGRAM_SK = "PROGRAM"
CATALOG_COURSES_GSI1_PK = "CATALOG#COURSES"
# Every run in one list, sorted by course then run, so a course's runs are one begins_with Query.
CATALOG_RUNS_GSI1_PK = "CATALOG#RUNS"
CATALOG_PROGRAMS_GSI1_PK = "CATALOG#PROGRAMS"


def course_pk(course_id: str) -> str:
    return f"COURSE#{course_id}"


def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def program_pk(program_id: str) -> str:
    return f"PROGRAM#{program_id}"


def catalog_course_gsi1_sk(course_id: str) -> str:
    return f"COURSE#{course_id}"


def course_runs_gsi1_prefix(course_id: str) -> str:
    return f"COURSE#{course_id}#RUN#"


def catalog_run_gsi1_sk(course_id: str, run_id: str) -> str:
    return f"{course_runs_gsi1_prefix(course_id)}{run_id}"


def catalog_program_gsi1_sk(program_id: str) -> str:
    return f"PROGRAM#{program_id}"


# Courseware of a contract: link items in the contract's partition, and a guard item per course
# (at most one contract-created run per course). Links and the contract's runs share a gsi2
# partition, so the courseware listing is one Query.
COURSEWARE_SK_PREFIX = "COURSEWARE#"
CONTRACT_COURSE_SK_PREFIX = "COURSE#"


def courseware_link_sk(courseware_id: str) -> str:
    return f"{COURSEWARE_SK_PREFIX}{courseware_id}"


def contract_course_sk(course_id: str) -> str:
    return f"{CONTRACT_COURSE_SK_PREFIX}{course_id}"


def contract_courseware_gsi2_pk(contract_id: int) -> str:
    return f"CONTRACT#{contract_id}#COURSEWARE"


def courseware_link_gsi2_sk(courseware_id: str) -> str:
    return f"LINK#{courseware_id}"


def contract_run_gsi2_sk(run_id: str) -> str:
    return f"RUN#{run_id}"


# Enrollment codes of a contract: gsi1 sorts them by product then per-product sequence (so one
# product's codes, newest first, are one Query); gsi2 partitions them by status as well.
CODE_SEQ_WIDTH = 9


def code_gsi1_sk(product_id: int, seq: int) -> str:
    return f"{code_product_prefix(product_id)}{seq:0{CODE_SEQ_WIDTH}d}"


def code_product_prefix(product_id: int) -> str:
    return f"PRODUCT#{padded(product_id)}#"


def contract_codes_by_status_gsi2_pk(contract_id: int, status: str) -> str:
    return f"CONTRACT#{contract_id}#CODES#{status}"


# SSO: the organizations a learner's identity provider named last (learner's partition).
SSO_SEEN_SK = "SSO_SEEN"


# A learner SSO could not attach (e.g. the contract was full), in the contract's partition.
def attach_refusal_sk(user_id: str) -> str:
    return f"REFUSED#{user_id}"


# Default enrollments: intentions in the contract's partition (plus a guard item per content key),
# realizations in the learner's partition.
INTENTION_SK_PREFIX = "INTENTION#"
REALIZATION_SK_PREFIX = "REALIZATION#"


def intention_sk(intention_id: int) -> str:
    return f"{INTENTION_SK_PREFIX}{padded(intention_id)}"


def intention_key_sk(content_key: str) -> str:
    return f"INTENTION_KEY#{content_key}"


def realization_sk(contract_id: int, intention_id: int) -> str:
    return f"{REALIZATION_SK_PREFIX}{padded(contract_id)}#{padded(intention_id)}"


# A webhook event taken in, by its sender's event id (deduplication of retried deliveries).
WEBHOOK_EVENT_SK = "WEBHOOK_EVENT"


def webhook_event_pk(source: str, event_id: str) -> str:
    return f"WEBHOOK_EVENT#{source}#{event_id}"


# Orders of priced checkouts: one item per order; a learner's pending order per contract; payments.
ORDER_SK = "ORDER"
PENDING_ORDER_SK_PREFIX = "PENDING_ORDER#"
PAYMENT_SK = "PAYMENT"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def user_orders_gsi1_pk(user_id: str) -> str:
    return f"USER#{user_id}#ORDERS"


def orders_by_state_gsi2_pk(state: str) -> str:
    return f"ORDERS#{state}"


def order_gsi_sk(at_epoch: int, order_id: str) -> str:
    return f"{at_epoch:012d}#{order_id}"


def pending_order_sk(contract_id: int) -> str:
    return f"{PENDING_ORDER_SK_PREFIX}{contract_id}"


def payment_pk(reference: str) -> str:
    return f"PAYMENT#{reference}"
