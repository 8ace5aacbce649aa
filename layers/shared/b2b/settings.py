"""Environment settings, validated once per process.

Every Lambda function and the local stack read their configuration through :func:`get_settings`;
nothing else in the package reads ``os.environ`` (the Powertools Logger and Metrics read their own
``POWERTOOLS_*`` variables inside the library; :func:`tracing_enabled` is answered here).

Each function declares the variables it cannot run without in :data:`FUNCTION_REQUIREMENTS`, keyed by
its handler module, and checks them once at cold start with :func:`require_settings`. Outside the
local stage a missing one stops the cold start with a message naming it; the local stack checks every
function's template environment against the same table before it starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Settings(BaseModel):
    """Configuration shared by every function (see the configuration table in README.md).

    Fields are read from environment variables named by their aliases. (A plain pydantic model:
    pydantic-settings would add a fifth of a second to every cold start.)
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    stage: Literal["local", "dev", "staging", "prod"] = Field("local", alias="STAGE")
    aws_region: str = Field("us-east-1", alias="AWS_REGION")
    table_name: str = Field("b2b-local", alias="TABLE_NAME")
    reconcile_queue_url: str | None = Field(None, alias="RECONCILE_QUEUE_URL")

    # Admin routes: the claim holding groups/roles and the group that grants admin rights.
    # Cognito: "cognito:groups"; Keycloak: "realm_access.roles" (a dotted path into the claims).
    admin_claim: str = Field("cognito:groups", alias="ADMIN_CLAIM")
    admin_group: str = Field("admin", alias="ADMIN_GROUP")

    # Page sizes for list endpoints, and the key that signs their cursors (so a client can only pass
    # back a cursor the API handed out; required in deployed stages, a documented default locally).
    cursor_signing_key_value: str | None = Field(None, alias="CURSOR_SIGNING_KEY", min_length=32)
    default_page_size: int = Field(50, alias="DEFAULT_PAGE_SIZE", ge=1, le=1000)
    max_page_size: int = Field(500, alias="MAX_PAGE_SIZE", ge=1, le=1000)

    # Checkout: the token claim naming the learner's SSO organization (compared with the
    # organization's sso_organization_id for managed contracts), and brute-force protection of codes
    # (failed code attempts per user in a fixed window).
    sso_org_claim: str = Field("custom:sso_org_id", alias="SSO_ORG_CLAIM")
    code_attempt_limit: int = Field(10, alias="CODE_ATTEMPT_LIMIT", ge=1, le=10_000)
    code_attempt_window_seconds: int = Field(300, alias="CODE_ATTEMPT_WINDOW_SECONDS", ge=1, le=86_400)
    # How long a completed checkout's response is replayed for the same Idempotency-Key.
    idempotency_ttl_seconds: int = Field(86_400, alias="IDEMPOTENCY_TTL_SECONDS", ge=60, le=30 * 86_400)

    # Open edX (optional): with the Studio URL and client credentials set, every new contract run
    # is cloned in Studio from its source run by the courseware cloner (queued, never inline).
    clone_queue_url: str | None = Field(None, alias="CLONE_QUEUE_URL")
    openedx_studio_url: str | None = Field(None, alias="OPENEDX_STUDIO_URL")
    openedx_lms_url: str | None = Field(None, alias="OPENEDX_LMS_URL")
    openedx_client_id: str | None = Field(None, alias="OPENEDX_CLIENT_ID")
    openedx_client_secret: str | None = Field(None, alias="OPENEDX_CLIENT_SECRET")
    openedx_timeout_seconds: float = Field(10.0, alias="OPENEDX_TIMEOUT_SECONDS", gt=0, le=60)
    openedx_attempts: int = Field(3, alias="OPENEDX_ATTEMPTS", ge=1, le=10)

    # Outbox: the EventBridge bus business events go to, and the queue of enrollments to send to the
    # LMS (enrollment API, same OAuth2 client as Studio). The mode new LMS enrollments get.
    event_bus_name: str | None = Field(None, alias="EVENT_BUS_NAME")
    lms_sync_queue_url: str | None = Field(None, alias="LMS_SYNC_QUEUE_URL")
    lms_enrollment_mode: str = Field("audit", alias="LMS_ENROLLMENT_MODE", min_length=1)

    @field_validator(
        "event_bus_name",
        "lms_sync_queue_url",
        "clone_queue_url",
        "openedx_studio_url",
        "openedx_lms_url",
        "openedx_client_id",
        "openedx_client_secret",
        "cursor_signing_key_value",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Template parameters left at their "" default arrive as empty variables.
        return None if value == "" else value

    @property
    def openedx_configured(self) -> bool:
        """True when Studio cloning is configured (URLs and client credentials all present)."""
        return bool(
            self.openedx_studio_url
            and self.openedx_lms_url
            and self.openedx_client_id
            and (self.openedx_client_secret_id or (self.is_local and self.openedx_client_secret))
        )

    @property
    def lms_configured(self) -> bool:
        """True when enrollments can be sent to the LMS (its URL and client credentials present; the
        secret by its reference, or on the local stack by its value)."""
        return bool(
            self.openedx_lms_url
            and self.openedx_client_id
            and (self.openedx_client_secret_id or (self.is_local and self.openedx_client_secret))
        )

    @property
    def clones_enabled(self) -> bool:
        """True when new contract runs are queued for cloning (the admin API needs only this)."""
        return bool(self.clone_queue_url and self.openedx_studio_url)

    # Enrollment codes: how much one reconcile message may write before handing on, the CSV page
    # size, and the links written into the export ({product_id} and {code} are filled in).
    reconcile_write_budget: int = Field(2000, alias="RECONCILE_WRITE_BUDGET", ge=1, le=100_000)
    codes_csv_page_size: int = Field(5000, alias="CODES_CSV_PAGE_SIZE", ge=1, le=20_000)
    product_url_template: str = Field(
        "https://learn.example.com/cart/add?product_id={product_id}&code={code}",
        alias="PRODUCT_URL_TEMPLATE",
    )
    attach_url_template: str = Field(
        "https://learn.example.com/attach?code={code}", alias="ATTACH_URL_TEMPLATE"
    )

    # SSO attachment. Cognito: the user attribute naming the learner's SSO organization(s).
    sso_org_attribute: str = Field("custom:sso_org_id", alias="SSO_ORG_ATTRIBUTE")
    # Time the Cognito trigger may spend before handing the rest to the queue (Cognito allows 5 s).
    sso_trigger_budget_ms: int = Field(2000, alias="SSO_TRIGGER_BUDGET_MS", ge=100, le=4500)
    sso_attach_queue_url: str | None = Field(None, alias="SSO_ATTACH_QUEUE_URL")
    sso_attach_concurrency: int = Field(20, alias="SSO_ATTACH_CONCURRENCY", ge=1, le=64)
    # Keycloak: the token claim holding the organizations (["<alias>"] or {"<alias>": {"id": …}}),
    # and the webhook's HMAC secret.
    keycloak_org_claim: str = Field("organization", alias="KEYCLOAK_ORG_CLAIM")
    keycloak_webhook_secret_value: str | None = Field(None, alias="KEYCLOAK_WEBHOOK_SECRET")
    # During a rotation the old secret is still accepted until Keycloak signs with the new one.
    keycloak_webhook_tolerance_seconds: int = Field(300, alias="KEYCLOAK_WEBHOOK_TOLERANCE_SECONDS", ge=1)
    # keycloak-events webhooks: an event older than this (by its own "time") is refused; longer than
    # the extension's retry window (15 minutes by default) so its last retries still get through.
    keycloak_event_max_age_seconds: int = Field(1200, alias="KEYCLOAK_EVENT_MAX_AGE_SECONDS", ge=60)
    # Time the webhook may spend before handing the rest of a login to the SSO attach queue.
    keycloak_hook_budget_ms: int = Field(3000, alias="KEYCLOAK_HOOK_BUDGET_MS", ge=200, le=20_000)
    # Keycloak admin REST API (organization memberships), through a confidential client's
    # service account (client-credentials grant). Unset URL: memberships are not looked up.
    keycloak_url: str | None = Field(None, alias="KEYCLOAK_URL")
    keycloak_realm: str = Field("master", alias="KEYCLOAK_REALM")
    keycloak_client_id: str | None = Field(None, alias="KEYCLOAK_CLIENT_ID")
    keycloak_timeout_seconds: float = Field(1.0, alias="KEYCLOAK_TIMEOUT_SECONDS", gt=0, le=30)
    keycloak_attempts: int = Field(2, alias="KEYCLOAK_ATTEMPTS", ge=1, le=5)

    # Secrets: where the deployed stages keep them (a Secrets Manager secret name or ARN, or
    # "ssm:/parameter/name" for an SSM SecureString), read through Powertools Parameters and cached.
    # The plain variables (KEYCLOAK_WEBHOOK_SECRET, KEYCLOAK_CLIENT_SECRET, OPENEDX_CLIENT_SECRET)
    # count only on the local stack.
    keycloak_webhook_secret_id: str | None = Field(None, alias="KEYCLOAK_WEBHOOK_SECRET_ID")
    keycloak_client_secret_id: str | None = Field(None, alias="KEYCLOAK_CLIENT_SECRET_ID")
    keycloak_client_secret_value: str | None = Field(None, alias="KEYCLOAK_CLIENT_SECRET")
    openedx_client_secret_id: str | None = Field(None, alias="OPENEDX_CLIENT_SECRET_ID")
    secrets_max_age_seconds: int = Field(300, alias="SECRETS_MAX_AGE_SECONDS", ge=0, le=86_400)

    @field_validator(
        "keycloak_url",
        "keycloak_client_id",
        "keycloak_webhook_secret_id",
        "keycloak_client_secret_id",
        "keycloak_client_secret_value",
        "openedx_client_secret_id",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def keycloak_configured(self) -> bool:
        """True when memberships can be looked up in Keycloak's admin API."""
        return bool(self.keycloak_url and self.keycloak_client_id)

    # Orders of priced checkouts: how long a pending order holds its seat and code, the currency,
    # the OAuth2 scope the storefront's machine token must carry, and the Stripe adapter (optional).
    order_hold_seconds: int = Field(1800, alias="ORDER_HOLD_SECONDS", ge=1, le=86_400)
    order_currency: str = Field("usd", alias="ORDER_CURRENCY", min_length=3, max_length=3)
    orders_scope: str = Field("b2b/orders.write", alias="ORDERS_SCOPE")
    stripe_api_key: str | None = Field(None, alias="STRIPE_API_KEY")
    stripe_webhook_secret: str | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")
    # Only for tests and stubs: where the Stripe library sends its API calls.
    stripe_api_base: str | None = Field(None, alias="STRIPE_API_BASE")
    stripe_success_url: str = Field(
        "https://learn.example.com/orders/{order_id}/paid", alias="STRIPE_SUCCESS_URL"
    )
    stripe_cancel_url: str = Field("https://learn.example.com/orders/{order_id}", alias="STRIPE_CANCEL_URL")

    @field_validator("stripe_api_key", "stripe_webhook_secret", "stripe_api_base", mode="before")
    @classmethod
    def _empty_stripe_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def is_local(self) -> bool:
        """True when running on the local stack."""
        return self.stage == "local"

    @property
    def cursor_signing_key(self) -> str:
        """The key of the paging cursors' HMAC; on the local stack a documented default stands in."""
        return self.cursor_signing_key_value or LOCAL_CURSOR_SIGNING_KEY

    @model_validator(mode="after")
    def _deployed_stages_sign_cursors(self) -> Settings:
        if not self.is_local and not self.cursor_signing_key_value:
            raise ValueError("CURSOR_SIGNING_KEY is required outside the local stage")
        return self

    @property
    def keycloak_webhook_secret(self) -> str | None:
        """The webhook's signing secret from the environment: the local stack only (a documented
        default stands in there); deployed stages read it from the secret store."""
        if not self.is_local:
            return None
        return self.keycloak_webhook_secret_value or LOCAL_WEBHOOK_SECRET


LOCAL_WEBHOOK_SECRET = "local-webhook-secret"
LOCAL_CURSOR_SIGNING_KEY = "local-cursor-signing-key-not-for-deployed-stages"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, validated on first use."""
    return Settings.model_validate(dict(os.environ))


def tracing_enabled() -> bool:
    """True unless ``POWERTOOLS_TRACE_DISABLED`` turns tracing off (the local stack and tests do)."""
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() not in {"1", "true", "yes"}


_EVERY_FUNCTION = ("STAGE", "TABLE_NAME")

FUNCTION_REQUIREMENTS: Mapping[str, frozenset[str]] = {
    # Contract changes queue reconciliations; new contract runs queue clones.
    "admin_api.handler": frozenset(
        {*_EVERY_FUNCTION, "RECONCILE_QUEUE_URL", "CLONE_QUEUE_URL", "LMS_SYNC_QUEUE_URL"}
    ),
    # Orders: payment confirmations, refunds, Stripe, and the sweep of ended holds.
    "orders_api.handler": frozenset(_EVERY_FUNCTION),
    # The outbox publisher puts business events on the bus and enrollment changes on the LMS queue.
    "event_publisher.handler": frozenset({*_EVERY_FUNCTION, "EVENT_BUS_NAME", "LMS_SYNC_QUEUE_URL"}),
    # Open edX settings are optional: without them enrollments are marked not_configured.
    "lms_sync.handler": frozenset(_EVERY_FUNCTION),
    # The organization claim middleware hands unfinished SSO work to the attach queue.
    "checkout_api.handler": frozenset({*_EVERY_FUNCTION, "SSO_ATTACH_QUEUE_URL"}),
    "learner_api.handler": frozenset({*_EVERY_FUNCTION, "SSO_ATTACH_QUEUE_URL"}),
    # A bounded run queues its own continuation.
    "code_reconciler.handler": frozenset({*_EVERY_FUNCTION, "RECONCILE_QUEUE_URL"}),
    # The drift sweep queues a reconcile for every contract it finds unhealthy.
    "code_reconciler.sweep": frozenset({*_EVERY_FUNCTION, "RECONCILE_QUEUE_URL"}),
    # Open edX settings are optional: without them clone requests wait in the queue.
    "courseware_cloner.handler": frozenset(_EVERY_FUNCTION),
    # The Cognito trigger hands what does not fit its time budget to the attach queue.
    "sso_trigger.handler": frozenset({*_EVERY_FUNCTION, "SSO_ATTACH_QUEUE_URL"}),
    "sso_trigger.worker": frozenset(_EVERY_FUNCTION),
    # An empty webhook secret is a documented setting (every call refused), not a missing one.
    "keycloak_hook.handler": frozenset(_EVERY_FUNCTION),
}


class ConfigurationError(RuntimeError):
    """A function started without a variable it needs."""


def missing_variables(function: str, environment: Mapping[str, str]) -> list[str]:
    """The variables ``function`` (a handler module) requires that ``environment`` lacks or leaves empty."""
    if function not in FUNCTION_REQUIREMENTS:
        raise ConfigurationError(f"{function} does not declare its settings in FUNCTION_REQUIREMENTS")
    return sorted(name for name in FUNCTION_REQUIREMENTS[function] if not environment.get(name))


def require_settings(function: str) -> Settings:
    """Check at cold start that ``function`` has every variable it requires, and return the settings.

    Outside ``STAGE=local`` a missing variable raises :class:`ConfigurationError`, so the function fails
    to start instead of dropping work later; on the local stack it is logged.
    """
    settings = get_settings()
    missing = missing_variables(function, os.environ)
    if missing:
        message = f"{function} cannot start: {', '.join(missing)} not set (see template.yaml)"
        if not settings.is_local:
            raise ConfigurationError(message)
        logging.getLogger(__name__).warning(message)
    return settings


def check_environments(environments: Iterable[tuple[str, Mapping[str, str]]]) -> None:
    """Raise :class:`ConfigurationError` naming every (handler, variable) pair that is missing."""
    problems = [
        f"{function}: {', '.join(missing)}"
        for function, environment in environments
        if (missing := missing_variables(function, environment))
    ]
    if problems:
        raise ConfigurationError("functions missing required variables: " + "; ".join(problems))
