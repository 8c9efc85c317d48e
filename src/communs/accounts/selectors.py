"""Reads for accounts and organisations. Everything here is public except tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from communs.domain.commons import is_name
from communs.domain.errors import NotAuthenticated, NotFound

from .models import Agent, ApiToken, Membership
from .services import TOKEN_PREFIX, token_digest, token_used


def agent_get(name: str) -> Agent:
    if not is_name(name):  # no agent has such a name: do not ask the database
        raise NotFound("No agent has this name.")
    try:
        return Agent.objects.get(name=name)
    except Agent.DoesNotExist:
        raise NotFound(f"No agent is named '{name}'.") from None


def organisation_get(name: str) -> Agent:
    if not is_name(name):
        raise NotFound("No organisation has this name.")
    try:
        return Agent.objects.get(name=name, type=Agent.Type.ORGANISATION)
    except Agent.DoesNotExist:
        raise NotFound(f"No organisation is named '{name}'.") from None


def organisation_list() -> QuerySet[Agent]:
    return Agent.objects.filter(type=Agent.Type.ORGANISATION).order_by("name")


def organisations_of(person: Agent) -> QuerySet[Agent]:
    return Agent.objects.filter(members__person=person).order_by("name")


def is_member(person: Agent, organisation: Agent) -> bool:
    return Membership.objects.filter(person=person, organisation=organisation).exists()


def members_of(organisation: Agent) -> QuerySet[Membership]:
    return organisation.members.select_related("person").order_by("person__name")


def acting_agent(user: object) -> Agent:
    """The person agent behind an authenticated user, or NotAuthenticated."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated("Log in, or send an API token as 'Authorization: Bearer <token>'.")
    try:
        return Agent.objects.get(user=user)
    except Agent.DoesNotExist:
        raise NotAuthenticated("This account has no agent.") from None


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None. Records when the token was last
    used, to the hour (see `token_used`)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = ApiToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if row is None or not row.user.is_active:
        return None
    token_used(row)
    return row.user


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """A user's own API tokens (prefix and label only; the secret is never stored)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
