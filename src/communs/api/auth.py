from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

from communs.accounts.models import Agent
from communs.accounts.selectors import acting_agent, user_for_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are looked up by their SHA-256 digest."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_token(token)


bearer = BearerToken()


def actor(request: HttpRequest) -> Agent:
    """The person acting in an authenticated request."""
    return acting_agent(request.auth)  # type: ignore[attr-defined]
