"""Domain errors. Each carries a stable machine-readable code and the HTTP status it maps to.

The mapping to HTTP responses happens in one place (:mod:`b2b.api.errors`); domain code raises
these and never builds responses itself.
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
    status: int = 500

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidInput(B2BError):
    """The request is well-formed but a value breaks a rule (422)."""

    code: str = "invalid_input"
    status: int = 422

    @classmethod
    def for_field(cls, field_name: str, message: str) -> InvalidInput:
        return cls(message=f"{field_name}: {message}", details=[ErrorDetail(field_name, message)])


@dataclass
class BadRequest(B2BError):
    """The request cannot be parsed at all (400)."""

    code: str = "bad_request"
    status: int = 400


@dataclass
class Unauthorized(B2BError):
    code: str = "unauthorized"
    status: int = 401


@dataclass
class Forbidden(B2BError):
    code: str = "forbidden"
    status: int = 403


@dataclass
class NotFound(B2BError):
    code: str = "not_found"
    status: int = 404


@dataclass
class Conflict(B2BError):
    """The write lost to a uniqueness rule, a concurrent change or a state rule (409)."""

    code: str = "conflict"
    status: int = 409


@dataclass
class Throttled(B2BError):
    code: str = "throttled"
    status: int = 429
    retry_after_seconds: int = 1


@dataclass
class Unavailable(B2BError):
    """A dependency is overloaded or down; the caller may retry (503)."""

    code: str = "unavailable"
    status: int = 503
    retry_after_seconds: int = 1
