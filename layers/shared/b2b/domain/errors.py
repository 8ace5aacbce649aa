"""Domain errors. Each carries a stable machine-readable code; its kind says what went wrong.

The mapping from kinds to HTTP statuses lives in one place (:mod:`b2b.api.errors`); the core and
the services raise these and never choose a status or build a response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One problem with the input: the field it concerns and what is wrong."""

    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


@dataclass
class B2BError(Exception):
    """Base of all domain errors."""

    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    code: str = "error"

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidInput(B2BError):
    """The request is well-formed but a value breaks a rule."""

    code: str = "invalid_input"

    @classmethod
    def for_field(cls, field_name: str, message: str) -> InvalidInput:
        return cls(message=f"{field_name}: {message}", details=[ErrorDetail(field_name, message)])


@dataclass
class BadRequest(B2BError):
    """The request cannot be parsed at all."""

    code: str = "bad_request"


@dataclass
class TooLarge(B2BError):
    """The request is larger than the API accepts."""

    code: str = "payload_too_large"


@dataclass
class Unauthorized(B2BError):
    code: str = "unauthorized"


@dataclass
class Forbidden(B2BError):
    code: str = "forbidden"


@dataclass
class NotFound(B2BError):
    code: str = "not_found"


@dataclass
class Conflict(B2BError):
    """The write lost to a uniqueness rule, a concurrent change or a state rule."""

    code: str = "conflict"


@dataclass
class Throttled(B2BError):
    code: str = "throttled"
    retry_after_seconds: int = 1


@dataclass
class Unavailable(B2BError):
    """A dependency is overloaded or down; the caller may retry."""

    code: str = "unavailable"
    retry_after_seconds: int = 1
