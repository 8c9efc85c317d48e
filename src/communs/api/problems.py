"""Every API error is an RFC 9457 problem document (`application/problem+json`)."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from communs.domain.errors import DomainError

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
}


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] = {}


def problem(
    status: int, detail: str, errors: dict[str, list[str]] | None = None, title: str | None = None
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/problem+json"
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="communs"'
    return response


def _field_name(loc: list[Any]) -> str:
    # ninja locations look like ["body", "payload", "quantity", "str"] or ["query", "limit"];
    # our inputs are flat, so the first name after the location is the field.
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return parts[0] if parts else "body"


def _validation(request: HttpRequest, exc: ValidationError | type[ValidationError]) -> HttpResponse:
    assert isinstance(exc, ValidationError)  # noqa: S101 - ninja passes the instance
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(list(error.get("loc", []))), []).append(str(error.get("msg")))
    detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return problem(422, detail, errors)


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(
        DomainError, lambda request, exc: problem(exc.status, exc.detail, exc.errors, exc.title)
    )
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(HttpError, lambda request, exc: problem(exc.status_code, str(exc)))
    api.add_exception_handler(Http404, lambda request, exc: problem(404, "No such resource."))


ERRORS: dict[int, type[Problem]] = dict.fromkeys((400, 401, 403, 404, 409, 422), Problem)
