"""Column choices for the things operators list most."""

from __future__ import annotations

ORGANIZATION_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("slug", "Slug"),
    ("org_key", "Org key"),
    ("org_key_prefix", "Prefix"),
    ("sso_organization_id", "SSO org id"),
]
CONTRACT_COLUMNS = [
    ("id", "ID"),
    ("organization_id", "Org"),
    ("name", "Name"),
    ("membership_type", "Type"),
    ("active", "Active"),
    ("is_open", "Open"),
    ("start", "Start"),
    ("end", "End"),
    ("max_learners", "Max learners"),
    ("price", "Price"),
]
COURSEWARE_COLUMNS = [
    ("courseware_id", "Courseware"),
    ("kind", "Kind"),
    ("runs_created", "Runs made"),
    ("attached_at", "Attached"),
]
CONTRACT_RUN_COLUMNS = [
    ("run_id", "Run"),
    ("course_id", "Course"),
    ("start", "Start"),
    ("end", "End"),
    ("clone_status", "Clone"),
    ("product_id", "Product"),
    ("price", "Price"),
]
LEARNER_COLUMNS = [
    ("user_id", "User"),
    ("source", "Source"),
    ("code", "Code"),
    ("attached_at", "Attached at"),
]
