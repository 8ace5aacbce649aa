"""Column choices for the things operators list most, most useful first: a narrow terminal shows
the leading columns that fit, ``--wide`` all of them."""

from __future__ import annotations

ORGANIZATION_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("org_key", "Org key"),
    ("sso_organization_id", "SSO org id"),
    ("org_key_prefix", "Prefix"),
    ("slug", "Slug"),
]
CONTRACT_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("membership_type", "Type"),
    ("organization_id", "Org"),
    ("max_learners", "Cap"),
    ("price", "Price"),
    ("is_open", "Open"),
    ("active", "Active"),
    ("start", "Start"),
    ("end", "End"),
]
COURSEWARE_COLUMNS = [
    ("courseware_id", "Courseware"),
    ("kind", "Kind"),
    ("runs_created", "Runs made"),
    ("attached_at", "Attached"),
]
CONTRACT_RUN_COLUMNS = [
    ("run_id", "Run"),
    ("product_id", "Product"),
    ("price", "Price"),
    ("clone_status", "Clone"),
    ("start", "Start"),
    ("end", "End"),
    ("course_id", "Course"),
]
CATALOG_RUN_COLUMNS = [
    ("run_id", "Run"),
    ("clone_status", "Clone"),
    ("start", "Start"),
    ("end", "End"),
    ("source_run_id", "Cloned from"),
]
LEARNER_COLUMNS = [
    ("user_id", "User"),
    ("source", "Source"),
    ("attached_at", "Attached at"),
    ("code", "Code"),
]
CODE_HEALTH_COLUMNS = [
    ("product_id", "Product"),
    ("available", "Available"),
    ("redeemed", "Redeemed"),
    ("deactivated", "Deactivated"),
    ("uncounted", "Not yet counted"),
]
ATTACHMENT_TABLES = {"created_runs": CATALOG_RUN_COLUMNS, "assigned_runs": CATALOG_RUN_COLUMNS}
