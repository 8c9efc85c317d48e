"""Errors the rules raise. The interfaces turn them into 4xx answers (problem+json on the API)."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A request the rules refuse. `status` is the HTTP status an interface should answer with."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: dict[str, list[str]] = dict(errors or {})


class Invalid(DomainError):
    """Input that breaks a rule; `errors` maps each field to its messages."""

    status = 422
    title = "Invalid input"

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls(f"{name}: {message}", {name: [message]})


class NotAuthenticated(DomainError):
    status = 401
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The request is well-formed but the current state does not allow it."""

    status = 409
    title = "Conflict"


class FieldErrors:
    """Collects every problem with an input before raising, so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
            raise Invalid(detail, self.errors)
