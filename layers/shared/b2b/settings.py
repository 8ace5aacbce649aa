"""Environment settings, validated once per process.

Every Lambda function and the local stack read their configuration through :func:`get_settings`;
nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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

    @property
    def is_local(self) -> bool:
        """True when running on the local stack."""
        return self.stage == "local"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, validated on first use."""
    return Settings.model_validate(dict(os.environ))
