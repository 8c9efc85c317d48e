from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from communs.accounts import selectors, services

from .auth import actor, bearer
from .problems import ERRORS
from .schemas import AgentOut, MemberIn, MemberOut, OrganisationIn, SignupIn, TokenIn, TokenOut

router = Router(tags=["accounts"])


@router.post("/accounts", response={201: AgentOut, **ERRORS})
def sign_up(request: HttpRequest, payload: SignupIn) -> Status[AgentOut]:
    agent = services.user_create(
        username=payload.username,
        email=payload.email,
        password=payload.password,
        display_name=payload.display_name,
    )
    return Status(201, AgentOut.of(agent))


@router.post("/tokens", response={201: TokenOut, **ERRORS})
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    token = services.token_for_credentials(
        username=payload.username, password=payload.password, label=payload.label
    )
    return Status(201, TokenOut(token=token))


@router.get("/agents/{name}", response={200: AgentOut, **ERRORS})
def get_agent(request: HttpRequest, name: str) -> AgentOut:
    return AgentOut.of(selectors.agent_get(name))


@router.get("/organisations", response=list[AgentOut])
def list_organisations(request: HttpRequest) -> list[AgentOut]:
    return [AgentOut.of(o) for o in selectors.organisation_list()]


@router.post("/organisations", auth=bearer, response={201: AgentOut, **ERRORS})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[AgentOut]:
    organisation = services.organisation_create(
        actor=actor(request), name=payload.slug, display_name=payload.name, kind=payload.kind
    )
    return Status(201, AgentOut.of(organisation))


@router.post("/organisations/{slug}/members", auth=bearer, response={201: MemberOut, **ERRORS})
def add_member(request: HttpRequest, slug: str, payload: MemberIn) -> Status[MemberOut]:
    organisation = selectors.organisation_get(slug)
    person = selectors.agent_get(payload.username)
    membership = services.membership_add(
        actor=actor(request), organisation=organisation, person=person, role=payload.role
    )
    return Status(
        201, MemberOut(organisation=organisation.name, person=person.name, role=membership.role)
    )
