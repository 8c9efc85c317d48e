"""The licence and reciprocity engine: licence profiles, the profile each commons is under,
organisations' legal facts and their verification, usage requests ("may I use this commons?")
and the licence grants a paid fee buys. Reads are public; writes take a bearer token, and the
services decide who may make them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status

from communs.accounts.selectors import agent_get, organisation_get
from communs.commons.selectors import commons_get
from communs.core import clock
from communs.domain import licences
from communs.domain.errors import Invalid, NotFound
from communs.licensing import selectors, services
from communs.licensing.models import Grant

from .auth import actor, bearer
from .ledger_schemas import IdPath, PageQuery
from .licensing_schemas import (
    CommonsProfileOut,
    EvaluationOut,
    EvaluationPage,
    EvidenceIn,
    EvidenceOut,
    GrantIn,
    GrantOut,
    GrantPage,
    ObligationOut,
    ProfileIn,
    ProfileOut,
    ProfilePage,
    ProfileVersionOut,
    RevokeIn,
    RuleOut,
    UsageIn,
    VerificationOut,
    VerifyIn,
)
from .problems import ERRORS

router = Router(tags=["licences"])
T = TypeVar("T")


class GrantPath(Schema):
    # Any text: an id that is not a UUID is answered like an unknown one (404).
    id: str


def _named(field: str, name: str, get: Callable[[str], T]) -> T:
    """An agent or commons named in the body: an unknown one is an error on that field (422),
    as for the ledger's payers and treasurers; only a missing path segment is a 404."""
    try:
        return get(name)
    except NotFound as exc:
        raise Invalid.field(field, exc.detail) from None


# --- profiles --------------------------------------------------------------------------------


@router.get("/licence-profiles", response={200: ProfilePage})
def list_profiles(request: HttpRequest) -> ProfilePage:
    return ProfilePage(items=[ProfileOut.of(p) for p in licences.PROFILES.values()], next=None)


def _commons_profile(slug: str) -> CommonsProfileOut:
    commons = commons_get(slug)
    current = selectors.profile_current(commons)
    profile = current.profile
    return CommonsProfileOut(
        commons=commons.slug,
        licence=commons.licence,
        version=current.version,
        profile=profile.key if profile else None,
        title=profile.title if profile else None,
        url=profile.url if profile else None,
        permissions=dict(profile.permissions) if profile else {},
        obligations_on_distribution=ObligationOut.of(profile.on_distribution) if profile else [],
        parametric=profile.parametric if profile else False,
        sells_grants=profile.sells_grants if profile else False,
        parameters=current.parameters,
        rules=[RuleOut(**r.as_data()) for r in profile.rules] if profile else [],
        history=[ProfileVersionOut.of(v) for v in selectors.profile_history(commons)],
    )


@router.get("/commons/{slug}/licence-profile", response={200: CommonsProfileOut, **ERRORS})
def get_commons_profile(request: HttpRequest, slug: str) -> CommonsProfileOut:
    return _commons_profile(slug)


@router.put(
    "/commons/{slug}/licence-profile", auth=bearer, response={200: CommonsProfileOut, **ERRORS}
)
def adopt_profile(request: HttpRequest, slug: str, payload: ProfileIn) -> CommonsProfileOut:
    """A new version of the commons' licence profile (maintainers); 200 like the value
    equation's PUT. Evaluations and grants keep naming the version they were made under."""
    services.profile_adopt(
        actor=actor(request),
        commons=commons_get(slug),
        profile=payload.profile,
        parameters=payload.parameters,
    )
    return _commons_profile(slug)


# --- usage requests --------------------------------------------------------------------------


@router.post("/commons/{slug}/usage-requests", auth=bearer, response={201: EvaluationOut, **ERRORS})
def request_usage(request: HttpRequest, slug: str, payload: UsageIn) -> Status[EvaluationOut]:
    """Ask whether the commons may be used this way, for yourself or for an organisation you
    belong to. The answer is logged publicly with everything it was decided from."""
    commons = commons_get(slug)
    who = actor(request)
    organisation = None
    if payload.organisation:
        organisation = _named("organisation", payload.organisation, organisation_get)
    row = services.usage_evaluate(
        actor=who,
        commons=commons,
        commercial=payload.commercial,
        distributes=payload.distributes,
        organisation=organisation,
        declared_revenue=payload.declared_revenue,
    )
    return Status(201, EvaluationOut.of(row, commons.slug))


@router.get("/commons/{slug}/usage-requests", response={200: EvaluationPage, **ERRORS})
def list_usage_requests(request: HttpRequest, slug: str, query: Query[PageQuery]) -> EvaluationPage:
    page = selectors.evaluations(commons_get(slug), cursor=query.cursor, limit=query.limit)
    return EvaluationPage(items=[EvaluationOut.of(e, slug) for e in page.items], next=page.next)


@router.get("/usage-requests/{id}", response={200: EvaluationOut, **ERRORS})
def get_usage_request(request: HttpRequest, path: Path[IdPath]) -> EvaluationOut:
    return EvaluationOut.of(selectors.evaluation_get(path.id))


# --- organisations' legal facts --------------------------------------------------------------


def _evidence(organisation_name: str) -> EvidenceOut | None:
    declaration = selectors.evidence_current(organisation_get(organisation_name))
    if declaration is None:
        return None
    checks = list(selectors.verifications(declaration))
    return EvidenceOut.of(declaration, checks, selectors.verified_for(checks))


@router.get("/organisations/{slug}/evidence", response={200: EvidenceOut | None, **ERRORS})
def get_evidence(request: HttpRequest, slug: str) -> EvidenceOut | None:
    """The organisation's current declaration with its verifications; null when it has
    declared nothing."""
    return _evidence(slug)


@router.put("/organisations/{slug}/evidence", auth=bearer, response={200: EvidenceOut, **ERRORS})
def declare_evidence(request: HttpRequest, slug: str, payload: EvidenceIn) -> EvidenceOut:
    """A new declaration (organisation admins); it replaces the last and is `declared` until
    someone verifies it."""
    organisation = organisation_get(slug)
    row = services.evidence_declare(
        actor=actor(request),
        organisation=organisation,
        facts=payload.facts(),
        legal_form=payload.legal_form or "",
        statutes_url=payload.statutes_url or "",
    )
    return EvidenceOut.of(row, [], [])


@router.post(
    "/organisations/{slug}/evidence/verifications",
    auth=bearer,
    response={201: VerificationOut, **ERRORS},
)
def verify_evidence(request: HttpRequest, slug: str, payload: VerifyIn) -> Status[VerificationOut]:
    """Verify the current declaration: as a maintainer of `commons` (counts there), or as an
    admin of the for-benefit association `association` (counts for the commons whose treasury it
    keeps)."""
    organisation = organisation_get(slug)
    who = actor(request)
    commons = _named("commons", payload.commons, commons_get) if payload.commons else None
    association = (
        _named("association", payload.association, organisation_get)
        if payload.association
        else None
    )
    row = services.evidence_verify(
        actor=who,
        organisation=organisation,
        commons=commons,
        association=association,
    )
    return Status(201, VerificationOut.of(row, organisation.name))


# --- licence grants --------------------------------------------------------------------------


def _grant_out(row: Grant, commons_slug: str | None = None) -> GrantOut:
    return GrantOut.of(row, selectors.grant_status(row, now=clock.now()), commons_slug)


@router.post("/commons/{slug}/licences", auth=bearer, response={201: GrantOut, **ERRORS})
def issue_grant(request: HttpRequest, slug: str, payload: GrantIn) -> Status[GrantOut]:
    """Record a paid licence fee (treasurers): a `licence_fee` income and the grant it buys."""
    commons = commons_get(slug)
    who = actor(request)
    grantee = _named("grantee", payload.grantee, agent_get)
    row = services.grant_issue(
        actor=who,
        commons=commons,
        grantee=grantee,
        amount=payload.amount,
        currency=payload.currency,
        memo=payload.memo or "",
    )
    return Status(201, _grant_out(row, commons.slug))


@router.get("/commons/{slug}/licences", response={200: GrantPage, **ERRORS})
def list_grants(request: HttpRequest, slug: str, query: Query[PageQuery]) -> GrantPage:
    """Newest first."""
    page = selectors.grant_page(commons_get(slug), cursor=query.cursor, limit=query.limit)
    return GrantPage(items=[_grant_out(g, slug) for g in page.items], next=page.next)


@router.get("/licences/{id}", response={200: GrantOut, **ERRORS})
def get_grant(request: HttpRequest, path: Path[GrantPath]) -> GrantOut:
    """Public verification: anyone holding the id can check the grant is valid today."""
    return _grant_out(selectors.grant_get(path.id))


@router.post("/licences/{id}/revoke", auth=bearer, response={200: GrantOut, **ERRORS})
def revoke_grant(request: HttpRequest, path: Path[GrantPath], payload: RevokeIn) -> GrantOut:
    row = services.grant_revoke(
        actor=actor(request), grant=selectors.grant_get(path.id), reason=payload.reason
    )
    return _grant_out(row)
