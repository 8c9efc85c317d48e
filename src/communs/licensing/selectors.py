"""Reads for licences: the profile a commons is under, organisations' legal facts and who
verified them, contributions that count, grants and evaluations. All of it is public."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution
from communs.core.pagination import MAX_LIMIT, Page, keyset_page, parse_cursor
from communs.domain import licences
from communs.domain.commons import OrganisationKind
from communs.domain.contributions import Status
from communs.domain.errors import Invalid, NotFound
from communs.ledger.models import Treasurer

from .models import Evaluation, Evidence, Grant, ProfileVersion, Verification


@dataclass(frozen=True)
class CurrentProfile:
    version: int  # 0: the profile the commons' licence field names, with default parameters
    profile: licences.Profile | None  # None: the licence is not one the engine knows
    parameters: dict[str, Any]


def profile_current(commons: Commons) -> CurrentProfile:
    row = ProfileVersion.objects.filter(commons=commons).order_by("-version").first()
    if row is not None:
        return CurrentProfile(row.version, licences.PROFILES[row.profile], dict(row.parameters))
    profile = licences.find_profile(commons.licence)
    parameters = dict(licences.COPYFAIR_DEFAULTS) if profile and profile.parametric else {}
    return CurrentProfile(0, profile, parameters)


def profile_history(commons: Commons) -> QuerySet[ProfileVersion]:
    return (
        ProfileVersion.objects.filter(commons=commons)
        .select_related("adopted_by")
        .order_by("-version")
    )


def evidence_current(organisation: Agent) -> Evidence | None:
    return (
        Evidence.objects.filter(organisation=organisation)
        .select_related("declared_by")
        .order_by("-id")
        .first()
    )


def verifications(evidence: Evidence) -> QuerySet[Verification]:
    return evidence.verifications.select_related("verified_by", "association", "commons").order_by(
        "id"
    )


def _kept(**where: Any) -> QuerySet[Treasurer]:
    """Treasuries kept by for-benefit associations: where an association's word counts."""
    return Treasurer.objects.filter(agent__org_kind=OrganisationKind.NONPROFIT, **where)


def evidence_for(asker: Agent, commons: Commons) -> dict[str, licences.Evidence]:
    """The asker's legal facts as they count for `commons`: verified when a maintainer of this
    commons, or a for-benefit association that keeps its treasury, checked the current
    declaration. Anyone can found a non-profit; only one the commons trusts with its money
    vouches for others here."""
    none = dict.fromkeys(licences.EVIDENCE_FACTS, licences.Evidence.NO)
    if not asker.is_organisation:
        return none
    declaration = evidence_current(asker)
    if declaration is None:
        return none
    verified = declaration.verifications.filter(
        Q(commons=commons) | Q(association__in=_kept(commons=commons).values("agent"))
    ).exists()
    level = licences.Evidence.VERIFIED if verified else licences.Evidence.DECLARED
    return {
        name: level if getattr(declaration, name) else licences.Evidence.NO
        for name in licences.EVIDENCE_FACTS
    }


def verified_for(checks: Iterable[Verification]) -> list[str]:
    """The commons for which these verifications of a declaration count."""
    slugs = {v.commons.slug for v in checks if v.commons is not None}
    associations = [v.association_id for v in checks if v.association_id is not None]
    if associations:
        slugs.update(_kept(agent_id__in=associations).values_list("commons__slug", flat=True))
    return sorted(slugs)


def associations_of(person: Agent) -> QuerySet[Agent]:
    """The for-benefit associations (non-profits) this person administers: their admins may
    verify organisations' legal facts, which then count for the commons whose treasury the
    association keeps."""
    return Agent.objects.filter(
        org_kind=OrganisationKind.NONPROFIT.value,
        members__person=person,
        members__role="admin",
    ).order_by("name")


def accepted_contributions(asker: Agent, commons: Commons, *, since: datetime) -> int:
    """Accepted contributions to `commons` that happened since `since`: an organisation's (made
    by its members on its behalf), or a person's own (not those made for an organisation: that
    work counts for the organisation)."""
    who = (
        Q(organisation=asker)
        if asker.is_organisation
        else Q(contributor=asker, organisation__isnull=True)
    )
    return Contribution.objects.filter(
        who, commons=commons, status=Status.ACCEPTED.value, occurred_at__gte=since
    ).count()


def contribution_window(
    asker: Agent,
    commons: Commons,
    profile: licences.Profile,
    parameters: dict[str, Any],
    *,
    now: datetime,
) -> tuple[int, int, int]:
    """(accepted contributions in the window, threshold, window in days)."""
    threshold, days = licences.contribution_rule(profile, parameters)
    count = accepted_contributions(asker, commons, since=now - timedelta(days=days))
    return count, threshold, days


def grant_held(
    asker: Agent, commons: Commons, *, now: datetime, profile: str | None = None
) -> Grant | None:
    """A valid grant the asker holds from this commons; with `profile`, one sold under that
    profile only (a fee paid under CopyFair is not the separate licence PPL-1.0 asks for)."""
    rows = Grant.objects.filter(grantee=asker, commons=commons)
    if profile is not None:
        rows = rows.filter(profile=profile)
    return (
        rows.filter(
            revoked_at__isnull=True,
            valid_from__lte=now,
            valid_until__gt=now,
        )
        .order_by("-valid_until")
        .first()
    )


def grant_get(grant_id: str) -> Grant:
    try:
        key = uuid.UUID(str(grant_id))
    except ValueError:
        raise NotFound("No licence grant has this id.") from None
    try:
        return Grant.objects.select_related("commons", "grantee", "income", "issued_by").get(pk=key)
    except Grant.DoesNotExist:
        raise NotFound("No licence grant has this id.") from None


def grant_status(grant: Grant, *, now: datetime) -> str:
    if grant.revoked_at is not None:
        return "revoked"
    if now < grant.valid_from:
        return "not_yet_valid"
    return "valid" if now < grant.valid_until else "expired"


def grant_page(commons: Commons, *, cursor: str | None = None, limit: int = 50) -> Page[Grant]:
    """Newest first. Grant ids are random, so pages follow the income each grant was paid with
    (one each, numbered in order)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid.field("limit", f"Ask for between 1 and {MAX_LIMIT} items.")
    before = parse_cursor(cursor)
    rows = grants(commons).select_related("issued_by")
    if before is not None:
        rows = rows.filter(income_id__lt=before)
    found = list(rows.order_by("-income_id")[: limit + 1])
    items = found[:limit]
    return Page(items, str(items[-1].income_id) if len(found) > limit else None)


def grants(commons: Commons) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(commons=commons)
        .select_related("grantee", "income")
        .order_by("-issued_at")
    )


def evaluation_get(pk: int) -> Evaluation:
    try:
        return Evaluation.objects.select_related("commons", "asker", "requested_by").get(pk=pk)
    except Evaluation.DoesNotExist:
        raise NotFound("No usage evaluation has this id.") from None


def evaluations(
    commons: Commons, *, cursor: str | None = None, limit: int = 50
) -> Page[Evaluation]:
    qs = Evaluation.objects.filter(commons=commons).select_related("asker", "requested_by")
    return keyset_page(qs, cursor=cursor, limit=limit)
