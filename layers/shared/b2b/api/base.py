"""Base classes of every API body.

Validators and serializers are built on a model's first use rather than at import: a cold
function pays only for the bodies of the route it serves, not for every schema it can serve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from b2b.domain.model import Page


class Schema(BaseModel):
    """A request or response body."""

    model_config = ConfigDict(defer_build=True)


class StrictBody(Schema):
    """Request bodies reject unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


def not_null(value: Any) -> Any:
    """A PATCH field that may be left out but not set to null."""
    if value is None:
        raise ValueError("cannot be null")
    return value


class PatchBody(StrictBody):
    """A PATCH body: only the fields the request names are changes."""

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PageOut[T](Schema):
    """One page of a list: its items and the opaque cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None

    @classmethod
    def of[S](cls, page: Page[S], render: Callable[[S], T]) -> Self:
        """Render a page of domain values item by item."""
        return cls(items=[render(item) for item in page.items], next_cursor=page.next_cursor)


def build_all() -> None:
    """Build every body's validator and serializer now (a SnapStart init, where nothing is deferred)."""
    pending: list[type[Schema]] = [Schema]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if not model.__pydantic_complete__:
            model.model_rebuild(force=True)
