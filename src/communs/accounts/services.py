"""Writes for accounts, organisations, memberships and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from communs.core import clock, eventlog
from communs.domain.commons import OrganisationKind, check_name
from communs.domain.contributions import has_nul
from communs.domain.errors import Conflict, FieldErrors, Forbidden, Invalid, NotAuthenticated

from .models import Agent, ApiToken, Membership

TOKEN_PREFIX = "cmn_"  # noqa: S105 - a public marker, not a secret
MAX_TOKEN_LABEL = 100
# `last_used_at` is written at most this often per token, not on every request.
TOKEN_USE_RESOLUTION = timedelta(hours=1)


def token_digest(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; it makes a stolen table useless.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_display_name(value: str | None, default: str, errors: FieldErrors) -> str:
    text = (value or "").strip() or default
    if len(text) > 200:
        errors.add("display_name", "Keep the name under 200 characters.")
    elif has_nul(text):  # PostgreSQL cannot store NUL in text
        errors.add("display_name", "Remove the NUL character.")
    return text


def user_create(
    *, username: str, email: str, password: str, display_name: str | None = None
) -> Agent:
    """Sign up: a user account and the person agent that acts for it."""
    errors = FieldErrors()
    username = check_name(username, errors, "username")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", "Enter a valid email address.")
    name = _check_display_name(display_name, username, errors)
    if not errors.errors.get("username") and (
        Agent.objects.filter(name=username).exists()
        or User.objects.filter(username=username).exists()
    ):
        errors.add("username", "This name is taken.")
    # An email may belong to several accounts: refusing it would tell anyone which addresses
    # have an account here. People log in by username; the email is private contact data.
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password or "", candidate)
    except ValidationError as exc:
        for message in exc.messages:
            errors.add("password", message)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            agent = Agent.objects.create(
                name=username,
                display_name=name,
                type=Agent.Type.PERSON,
                user=user,
                created_at=clock.now(),
            )
            eventlog.append(
                eventlog.INSTANCE_STREAM,
                "account.created",
                username,
                {"name": username, "display_name": name},
            )
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise Invalid.field("username", "This name is taken.") from None
    return agent


def _check_label(label: str | None) -> str:
    """A token's label: trimmed, cut to `MAX_TOKEN_LABEL`, "api" when empty; no NUL."""
    text = (label or "").strip()[:MAX_TOKEN_LABEL] or "api"
    if has_nul(text):
        raise Invalid.field("label", "Remove the NUL character.")
    return text


def token_create(*, user: User, label: str = "api") -> str:
    """Issue a new API token and return it; only its digest is kept."""
    label = _check_label(label)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user,
            label=label,
            digest=token_digest(token),
            prefix=token[:10],
            created_at=clock.now(),
        )
        eventlog.append(eventlog.INSTANCE_STREAM, "token.created", user.username, {"label": label})
    return token


def token_for_credentials(*, username: str, password: str, label: str = "api") -> str:
    label = _check_label(label)
    # No account has a NUL in its name, and PostgreSQL would answer such a query with an error.
    user = None if has_nul(username) else authenticate(username=username, password=password)
    if not isinstance(user, User) or not user.is_active:
        raise NotAuthenticated("Wrong username or password.")
    return token_create(user=user, label=label)


def token_used(token: ApiToken) -> None:
    """Record that a token was just used, at most once per `TOKEN_USE_RESOLUTION`: one
    conditional UPDATE, issued only when the stored time is older (not logged: it is private)."""
    now = clock.now()
    since = now - TOKEN_USE_RESOLUTION
    if token.last_used_at is not None and token.last_used_at >= since:
        return
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=since), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


def organisation_create(*, actor: Agent, name: str, display_name: str, kind: str) -> Agent:
    """Create an organisation; its creator becomes its first admin."""
    errors = FieldErrors()
    name = check_name(name, errors, "slug")
    shown = _check_display_name(display_name, name, errors)
    if kind not in set(OrganisationKind):
        errors.add("kind", f"Unknown kind; choose one of {', '.join(OrganisationKind)}.")
    if not errors.errors.get("slug") and Agent.objects.filter(name=name).exists():
        errors.add("slug", "This name is taken.")
    errors.raise_if_any()
    try:
        with transaction.atomic():
            now = clock.now()
            organisation = Agent.objects.create(
                name=name,
                display_name=shown,
                type=Agent.Type.ORGANISATION,
                org_kind=kind,
                created_at=now,
            )
            Membership.objects.create(
                organisation=organisation, person=actor, role=Membership.Role.ADMIN, created_at=now
            )
            eventlog.append(
                eventlog.INSTANCE_STREAM,
                "organisation.created",
                actor.name,
                {"name": name, "display_name": shown, "kind": kind},
            )
    except IntegrityError:  # a concurrent request took the name between check and insert
        raise Invalid.field("slug", "This name is taken.") from None
    return organisation


def membership_add(
    *, actor: Agent, organisation: Agent, person: Agent, role: str = "member"
) -> Membership:
    """An organisation's admin adds a person to it."""
    if role not in Membership.Role.values:
        raise Invalid.field("role", f"Choose one of {', '.join(Membership.Role.values)}.")
    if person.is_organisation:
        raise Invalid.field("username", "Only persons can be members of an organisation.")
    if not Membership.objects.filter(
        organisation=organisation, person=actor, role=Membership.Role.ADMIN
    ).exists():
        raise Forbidden("Only an admin of this organisation can add members.")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            organisation=organisation,
            person=person,
            defaults={"role": role, "created_at": clock.now()},
        )
        if not created:
            raise Conflict(f"{person.name} is already a member of {organisation.name}.")
        eventlog.append(
            eventlog.INSTANCE_STREAM,
            "organisation.member_added",
            actor.name,
            {"organisation": organisation.name, "person": person.name, "role": role},
        )
    return membership
