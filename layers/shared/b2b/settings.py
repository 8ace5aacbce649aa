"""Environment settings, validated once per process.

Every Lambda function and the local stack read their configuration through :func:`get_settings`;
nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


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

    # Page sizes for list endpoints.
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

    @field_validator(
        "clone_queue_url",
        "openedx_studio_url",
        "openedx_lms_url",
        "openedx_client_id",
        "openedx_client_secret",
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
            and self.openedx_client_secret
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
    # Keycloak: the token claim holding {"<alias>": {"id": "<uuid>"}}, and the webhook's HMAC secret.
    keycloak_org_claim: str = Field("organization", alias="KEYCLOAK_ORG_CLAIM")
    keycloak_webhook_secret_value: str | None = Field(None, alias="KEYCLOAK_WEBHOOK_SECRET")
    # During a rotation the old secret is still accepted until Keycloak signs with the new one.
    keycloak_webhook_previous_secret: str | None = Field(None, alias="KEYCLOAK_WEBHOOK_PREVIOUS_SECRET")
    keycloak_webhook_tolerance_seconds: int = Field(300, alias="KEYCLOAK_WEBHOOK_TOLERANCE_SECONDS", ge=1)

    @property
    def is_local(self) -> bool:
        """True when running on the local stack."""
        return self.stage == "local"

    @property
    def keycloak_webhook_secret(self) -> str | None:
        """The webhook's signing secret; on the local stack a documented default stands in."""
        if self.keycloak_webhook_secret_value:
            return self.keycloak_webhook_secret_value
        return LOCAL_WEBHOOK_SECRET if self.is_local else None

    @property
    def keycloak_webhook_secrets(self) -> list[str]:
        """Every secret a webhook call may be signed with: the current one, then the previous one."""
        secrets = [self.keycloak_webhook_secret, self.keycloak_webhook_previous_secret]
        return [secret for secret in secrets if secret]


LOCAL_WEBHOOK_SECRET = "local-webhook-secret"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, validated on first use."""
    return Settings.model_validate(dict(os.environ))
