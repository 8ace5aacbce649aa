"""Base classes of every API body.

Validators and serializers are built on a model's first use rather than at import: a cold
function pays only for the bodies of the route it serves, not for every schema it can serve.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A request or response body."""

    model_config = ConfigDict(defer_build=True)


class StrictBody(Schema):
    """Request bodies reject unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


def build_all() -> None:
    """Build every body's validator and serializer now (a SnapStart init, where nothing is deferred)."""
    pending: list[type[Schema]] = [Schema]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if not model.__pydantic_complete__:
            model.model_rebuild(force=True)
