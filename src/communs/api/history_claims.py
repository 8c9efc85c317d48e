"""Identities met in imported histories, and each commons' map of who pays for the work.

Claims: a person with an account claims the commits made under one of their email addresses.
The token that proves they own the address must reach that address, not the requester, so it
is never returned here: an operator runs `communs claim request EMAIL --as USERNAME` and sends
it on. The person then confirms it with POST /identities/claims/confirm.

Affiliations: reading a commons' map is public; a rule for one person's address names the
person and shows the address only to the commons' maintainers (who send their token).
Maintainers add, replace and remove rules."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import ConfigDict, StrictStr

from communs.accounts.models import Agent
from communs.accounts.selectors import acting_agent, agent_get
from communs.commons.selectors import commons_get
from communs.domain.errors import Forbidden, Invalid, NotFound
from communs.history import selectors, services
from communs.history.models import Alias

from .auth import actor, bearer
from .ledger_schemas import MAX_ID
from .problems import ERRORS
from .schemas import AgentOut

router = Router(tags=["identities and affiliations"])
STRICT = ConfigDict(extra="forbid")


class ConfirmIn(Schema):
    model_config = STRICT
    token: StrictStr = Field(max_length=200)


class ClaimOut(Schema):
    email: str  # the address claimed, as the claimant's own
    merged: list[AgentOut]  # the identities merged into the claimant
    contributions: int  # moved to the claimant
    duplicates: int  # dropped: already credited to the claimant for the same commit
    commits: int
    aliases: int


class AliasOut(Schema):
    kind: str  # "email" or "name"
    display: str  # as the history wrote it

    @staticmethod
    def of(alias: Alias) -> AliasOut:
        return AliasOut(kind=alias.kind, display=alias.display)


class AffiliationIn(Schema):
    model_config = STRICT
    domain: StrictStr = Field("", max_length=300)  # default: the address' domain
    email: StrictStr = Field("", max_length=300)  # for this one address only
    kind: StrictStr = Field(max_length=20)  # paid or volunteer
    organisation: StrictStr | None = Field(None, max_length=200)  # paid: the organisation's name
    since: date | None = None  # first day the rule holds
    until: date | None = None  # last day it holds


class AffiliationOut(Schema):
    id: int
    domain: str
    scope: str  # "domain", or "address" for one person's address
    email: str | None  # the address: shown to the commons' maintainers only
    person: str | None  # the agent the address belongs to in imported histories
    kind: str
    organisation: str | None
    since: date | None
    until: date | None
    created_by: str
    created_at: datetime

    @staticmethod
    def of(entry: selectors.AffiliationEntry) -> AffiliationOut:
        return AffiliationOut(
            id=entry.pk,
            domain=entry.domain,
            scope="address" if entry.for_address else "domain",
            email=entry.email or None,
            person=entry.person.name if entry.person else None,
            kind=entry.kind,
            organisation=entry.organisation.name if entry.organisation else None,
            since=entry.since,
            until=entry.until,
            created_by=entry.created_by.name,
            created_at=entry.created_at,
        )


class AffiliationPath(Schema):
    slug: str
    id: int = Field(..., ge=1, le=MAX_ID)


def _viewer(request: HttpRequest) -> Agent | None:
    """The person behind the request's bearer token, if it sends a valid one: public reads
    show a maintainer a little more."""
    user = bearer(request)
    return acting_agent(user) if user is not None else None


# --- claims ------------------------------------------------------------------------------------


@router.post("/identities/claims/confirm", auth=bearer, response={200: ClaimOut, **ERRORS})
def confirm_claim(request: HttpRequest, payload: ConfirmIn) -> ClaimOut:
    """Merge the identities of the claimed address into your own agent, with the token an
    operator sent to that address (`communs claim request`). It is valid once, for 24 hours."""
    result = services.claim_confirm(claimant=actor(request), token=payload.token)
    return ClaimOut(
        email=result.email,
        merged=[AgentOut.of(agent) for agent in result.agents],
        contributions=result.contributions,
        duplicates=result.duplicates,
        commits=result.commits,
        aliases=result.aliases,
    )


@router.get("/identities/aliases", auth=bearer, response={200: list[AliasOut], **ERRORS})
def my_aliases(request: HttpRequest) -> list[AliasOut]:
    """The names and emails under which imported histories know you."""
    me = actor(request)
    return [AliasOut.of(alias) for alias in selectors.aliases_of(me, viewer=me)]


# --- affiliations ------------------------------------------------------------------------------


def _organisation(name: str | None) -> Agent | None:
    if name is None or not name.strip():
        return None
    try:
        return agent_get(name.strip())
    except NotFound as exc:
        raise Invalid.field("organisation", exc.detail) from None


@router.get("/commons/{slug}/affiliations", response={200: list[AffiliationOut], **ERRORS})
def list_affiliations(request: HttpRequest, slug: str) -> list[AffiliationOut]:
    """The commons' rules (the built-in defaults apply after them: free-mail and forge
    no-reply addresses count as volunteers, anything else as unknown)."""
    entries = selectors.affiliation_entries(commons_get(slug), viewer=_viewer(request))
    return [AffiliationOut.of(entry) for entry in entries]


@router.post(
    "/commons/{slug}/affiliations",
    auth=bearer,
    response={200: AffiliationOut, 201: AffiliationOut, **ERRORS},
)
def set_affiliation(
    request: HttpRequest, slug: str, payload: AffiliationIn
) -> Status[AffiliationOut]:
    """Add a rule (201), or replace the one for the same domain, address and period (200)."""
    commons = commons_get(slug)
    who = actor(request)
    if not selectors.can_edit_affiliations(who, commons):  # before the body's own errors
        raise Forbidden(f"Only maintainers of {commons.slug} can edit its affiliations.")
    row, created = services.affiliation_set(
        actor=who,
        commons=commons,
        domain=payload.domain,
        kind=payload.kind,
        organisation=_organisation(payload.organisation),
        email=payload.email,
        since=payload.since,
        until=payload.until,
    )
    entry = next(e for e in selectors.affiliation_entries(commons, viewer=who) if e.pk == row.pk)
    return Status(201 if created else 200, AffiliationOut.of(entry))


@router.delete("/commons/{slug}/affiliations/{id}", auth=bearer, response={204: None, **ERRORS})
def remove_affiliation(request: HttpRequest, path: Path[AffiliationPath]) -> Status[None]:
    commons = commons_get(path.slug)
    services.affiliation_remove(
        actor=actor(request), affiliation=selectors.affiliation_get(commons, path.id)
    )
    return Status(204, None)
