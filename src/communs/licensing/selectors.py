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
from communs.commons.selectors import is_maintainer
from communs.core.pagination import Page, keyset_page
from communs.domain import licences
from communs.domain.commons import OrganisationKind
from communs.domain.contributions import Status
from communs.domain.errors import NotFound
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


def _keepers(commons: Commons) -> QuerySet[Treasurer]:
    """The for-benefit associations that keep this commons' treasury: their word counts here."""
    return Treasurer.objects.filter(commons=commons, agent__org_kind=OrganisationKind.NONPROFIT)


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
        Q(commons=commons) | Q(association__in=_keepers(commons).values("agent"))
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
        kept = Treasurer.objects.filter(agent_id__in=associations).values_list(
            "commons__slug", flat=True
        )
        slugs.update(kept)
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


def can_verify(agent: Agent | None, commons: Commons | None) -> bool:
    if agent is None:
        return False
    if commons is not None:
        return is_maintainer(agent, commons)
    return associations_of(agent).exists()


def accepted_contributions(asker: Agent, commons: Commons, *, since: datetime) -> int:
    """Accepted contributions to `commons` that happened since `since`: a person's own, or an
    organisation's (made by its members on its behalf)."""
    who = Q(organisation=asker) if asker.is_organisation else Q(contributor=asker)
    return Contribution.objects.filter(
        who, commons=commons, status=Status.ACCEPTED.value, occurred_at__gte=since
    ).count()


def contribution_window(
    asker: Agent, commons: Commons, current: CurrentProfile, *, now: datetime
) -> tuple[int, int, int]:
    """(accepted contributions in the window, threshold, window in days)."""
    profile = current.profile or licences.PROFILES["MIT"]  # no profile: the defaults
    threshold, days = licences.contribution_rule(profile, current.parameters)
    count = accepted_contributions(asker, commons, since=now - timedelta(days=days))
    return count, threshold, days


def grant_held(asker: Agent, commons: Commons, *, now: datetime) -> Grant | None:
    return (
        Grant.objects.filter(
            grantee=asker,
            commons=commons,
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
