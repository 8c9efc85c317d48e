from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from communs.accounts.selectors import agent_get, organisation_get
from communs.commons import selectors, services
from communs.commons.models import Commons
from communs.domain.errors import Invalid, NotFound

from .auth import actor, bearer
from .problems import ERRORS
from .schemas import (
    AcceptIn,
    AncestorOut,
    CommonsDetailOut,
    CommonsIn,
    CommonsOut,
    CommonsPage,
    CommonsSettingsIn,
    ContributionIn,
    ContributionOut,
    ContributionPage,
    ForkIn,
    MaintainerIn,
    RejectIn,
    TotalOut,
    UpstreamOut,
)

router = Router(tags=["commons"])
MAX_ID = 2**63 - 1


class ListQuery(Schema):
    q: str = ""
    kind: str = ""
    cursor: str | None = None
    limit: int = 50


class ContributionQuery(Schema):
    status: str = ""
    action: str = ""
    contributor: str = ""
    cursor: str | None = None
    limit: int = 50


def _detail(commons: Commons) -> CommonsDetailOut:
    lineage = selectors.lineage(commons)
    return CommonsDetailOut(
        **CommonsOut.fields_of(commons),
        description=commons.description,
        maintainers=[m.agent.name for m in selectors.maintainers(commons)],
        lineage=[c.slug for c in lineage],
        lineage_truncated=selectors.lineage_truncated(lineage),
        forks=[c.slug for c in selectors.forks(commons)],
        upstreams=[
            UpstreamOut(slug=c.upstream.slug, weight_ppm=c.weight_ppm)
            for c in selectors.upstreams(commons)
        ],
        totals=[TotalOut.of(t) for t in selectors.totals(commons)],
        credited_ancestors=[
            AncestorOut(
                slug=a.commons.slug,
                totals=[TotalOut.of(t) for credit in a.credits for t in credit.totals],
            )
            for a in selectors.credited_ancestors(lineage)
        ],
    )


@router.get("/commons", response={200: CommonsPage, **ERRORS})
def list_commons(request: HttpRequest, query: Query[ListQuery]) -> CommonsPage:
    page = selectors.commons_page(
        query=query.q, kind=query.kind, cursor=query.cursor, limit=query.limit
    )
    return CommonsPage(items=[CommonsOut.of(c) for c in page.items], next=page.next)


@router.post("/commons", auth=bearer, response={201: CommonsDetailOut, **ERRORS})
def create_commons(request: HttpRequest, payload: CommonsIn) -> Status[CommonsDetailOut]:
    commons = services.commons_create(actor=actor(request), **payload.dict())
    return Status(201, _detail(commons))


@router.get("/commons/{slug}", response={200: CommonsDetailOut, **ERRORS})
def get_commons(request: HttpRequest, slug: str) -> CommonsDetailOut:
    return _detail(selectors.commons_get(slug))


@router.patch("/commons/{slug}", auth=bearer, response={200: CommonsDetailOut, **ERRORS})
def update_settings(
    request: HttpRequest, slug: str, payload: CommonsSettingsIn
) -> CommonsDetailOut:
    commons = services.settings_update(
        actor=actor(request),
        commons=selectors.commons_get(slug),
        approvals_required=payload.approvals_required,
    )
    return _detail(commons)


@router.post("/commons/{slug}/forks", auth=bearer, response={201: CommonsDetailOut, **ERRORS})
def fork_commons(request: HttpRequest, slug: str, payload: ForkIn) -> Status[CommonsDetailOut]:
    fork = services.commons_fork(
        actor=actor(request),
        parent=selectors.commons_get(slug),
        slug=payload.slug,
        title=payload.title,
    )
    return Status(201, _detail(fork))


@router.post("/commons/{slug}/maintainers", auth=bearer, response={201: CommonsDetailOut, **ERRORS})
def add_maintainer(
    request: HttpRequest, slug: str, payload: MaintainerIn
) -> Status[CommonsDetailOut]:
    commons = selectors.commons_get(slug)
    services.maintainer_add(
        actor=actor(request), commons=commons, agent=agent_get(payload.username)
    )
    return Status(201, _detail(commons))


@router.get("/commons/{slug}/contributions", response={200: ContributionPage, **ERRORS})
def list_contributions(
    request: HttpRequest, slug: str, query: Query[ContributionQuery]
) -> ContributionPage:
    commons = selectors.commons_get(slug)
    page = selectors.contribution_list(
        commons,
        status=query.status,
        action=query.action,
        contributor=query.contributor,
        cursor=query.cursor,
        limit=query.limit,
    )
    return ContributionPage(items=[ContributionOut.of(c, slug) for c in page.items], next=page.next)


@router.post(
    "/commons/{slug}/contributions", auth=bearer, response={201: ContributionOut, **ERRORS}
)
def submit_contribution(
    request: HttpRequest, slug: str, payload: ContributionIn
) -> Status[ContributionOut]:
    commons = selectors.commons_get(slug)
    organisation = None
    if payload.organisation:
        try:
            organisation = organisation_get(payload.organisation)
        except NotFound as exc:
            raise Invalid.field("organisation", exc.detail) from None
    row = services.contribution_submit(
        actor=actor(request),
        commons=commons,
        action=payload.action,
        quantity=payload.quantity,
        unit=payload.unit,
        description=payload.description,
        evidence_url=payload.evidence_url,
        occurred_at=payload.occurred_at,
        stream=payload.stream,
        organisation=organisation,
    )
    return Status(201, ContributionOut.of(row))


class ContributionPath(Schema):
    id: int = Field(..., ge=1, le=MAX_ID)


@router.get("/contributions/{id}", response={200: ContributionOut, **ERRORS})
def get_contribution(request: HttpRequest, path: Path[ContributionPath]) -> ContributionOut:
    return ContributionOut.of(selectors.contribution_get(path.id))


@router.post("/contributions/{id}/accept", auth=bearer, response={200: ContributionOut, **ERRORS})
def accept(
    request: HttpRequest, path: Path[ContributionPath], payload: AcceptIn
) -> ContributionOut:
    row = services.contribution_accept(
        actor=actor(request),
        contribution=selectors.contribution_get(path.id),
        note=payload.note or "",
    )
    return ContributionOut.of(row)


@router.post("/contributions/{id}/reject", auth=bearer, response={200: ContributionOut, **ERRORS})
def reject(
    request: HttpRequest, path: Path[ContributionPath], payload: RejectIn
) -> ContributionOut:
    row = services.contribution_reject(
        actor=actor(request),
        contribution=selectors.contribution_get(path.id),
        reason=payload.reason,
    )
    return ContributionOut.of(row)


@router.post("/contributions/{id}/withdraw", auth=bearer, response={200: ContributionOut, **ERRORS})
def withdraw(request: HttpRequest, path: Path[ContributionPath]) -> ContributionOut:
    row = services.contribution_withdraw(
        actor=actor(request), contribution=selectors.contribution_get(path.id)
    )
    return ContributionOut.of(row)
