"""Who may do what in a commons' governance: every governance write against every role. A
refusal is the right error and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.domain.errors import Conflict, DomainError, Forbidden
from communs.governance import services
from communs.governance.models import Comment, Proposal, Vote

from .conftest import Clock, Community, organisation, propose, set_rules, snapshot, work

pytestmark = pytest.mark.django_db

# newcomer: an account, no accepted work · contributor: eligible, not the proposer ·
# proposer: eligible, opened the proposal acted on · maintainer of this commons ·
# outsider: maintains another commons · organisation: an organisation agent
ROLES = ["newcomer", "contributor", "proposer", "maintainer", "outsider", "organisation"]
PERSONS = set(ROLES) - {"organisation"}
ELIGIBLE = {"contributor", "proposer", "maintainer"}


@dataclass(frozen=True)
class World:
    community: Community
    frozen: Clock
    people: dict[str, Agent]

    @property
    def proposer(self) -> Agent:
        return self.people["proposer"]


@pytest.fixture
def world(community: Community, frozen: Clock, make_person: Callable[..., Agent]) -> World:
    bob, dave = community.contributors
    people = {
        "newcomer": community.newcomer,
        "contributor": bob,
        "proposer": dave,
        "maintainer": community.maintainer,
        "outsider": community.outsider,
        "organisation": organisation(make_person),
    }
    return World(community, frozen, people)


def _open(w: World, method: str = "consent") -> Proposal:
    return propose(w.proposer, w.community.commons, method=method)


def _objected(w: World) -> Proposal:
    """A consent proposal both the contributor and the maintainer object to."""
    proposal = _open(w)
    for role in ("contributor", "maintainer"):
        services.vote_cast(
            actor=w.people[role], proposal=proposal, position="object", reason=f"{role} says no"
        )
    return proposal


def _blocked(w: World) -> Proposal:
    """A consensus proposal whose first round ended without unanimity."""
    proposal = _open(w, "consensus")
    blocker = w.people["contributor"]
    services.vote_cast(actor=blocker, proposal=proposal, position="block", reason="Harmful.")
    w.frozen.advance(days=7)
    closed = services.proposal_close(proposal=proposal)
    assert closed.second_round_possible
    return closed


def _ended(w: World) -> Proposal:
    proposal = _open(w)
    w.frozen.advance(days=7)
    return proposal


def _withdrew_own(w: World, actor: Agent, proposal: Proposal) -> bool:
    mine = Vote.objects.get(proposal=proposal, voter=actor)
    others = Vote.objects.filter(proposal=proposal).exclude(voter=actor)
    return mine.withdrawn and not any(v.withdrawn for v in others)


Setup = Callable[[World], Any]
Call = Callable[[World, Agent, Any], Any]
Check = Callable[[World, Agent, Any], bool]
# service: (who may, the refusal others get, setup, the call as `actor`, what it leaves behind)
WRITES: dict[str, tuple[set[str], type[DomainError], Setup, Call, Check]] = {
    "proposal_open": (
        {"contributor", "proposer", "maintainer"},
        Forbidden,
        lambda w: None,
        lambda w, actor, _: propose(actor, w.community.commons),
        lambda w, actor, _: Proposal.objects.get().proposer == actor,
    ),
    "vote_cast": (
        ELIGIBLE,
        Forbidden,
        _open,
        lambda w, actor, p: services.vote_cast(actor=actor, proposal=p, position="agree"),
        lambda w, actor, p: Vote.objects.get(proposal=p).voter == actor,
    ),
    "objection_withdraw": (
        # Only one's own objection: those who could not object have none to withdraw.
        {"contributor", "maintainer"},
        Conflict,
        _objected,
        lambda w, actor, p: services.objection_withdraw(actor=actor, proposal=p),
        _withdrew_own,
    ),
    "proposal_amend": (
        {"proposer"},
        Forbidden,
        _open,
        lambda w, actor, p: services.proposal_amend(actor=actor, proposal=p, text="Better."),
        lambda w, actor, p: Proposal.objects.get(pk=p.pk).text == "Better.",
    ),
    "proposal_second_round": (
        {"proposer"},
        Forbidden,
        _blocked,
        lambda w, actor, p: services.proposal_second_round(actor=actor, proposal=p),
        lambda w, actor, p: Proposal.objects.get(pk=p.pk).round == 2,
    ),
    "proposal_withdraw": (
        {"proposer"},
        Forbidden,
        _open,
        lambda w, actor, p: services.proposal_withdraw(actor=actor, proposal=p),
        lambda w, actor, p: Proposal.objects.get(pk=p.pk).status == "withdrawn",
    ),
    "proposal_close": (
        set(ROLES),  # anyone may ask for a due proposal to be decided
        Forbidden,
        _ended,
        lambda w, actor, p: services.proposal_close(proposal=p, actor=actor),
        lambda w, actor, p: Proposal.objects.get(pk=p.pk).status == "passed",
    ),
    "comment_post": (
        PERSONS,  # anyone with an account speaks; organisations do not
        Forbidden,
        _open,
        lambda w, actor, p: services.comment_post(
            actor=actor, commons=w.community.commons, proposal=p, text="I think…"
        ),
        lambda w, actor, p: Comment.objects.get().author == actor,
    ),
}


def test_the_matrix_covers_every_governance_write() -> None:
    assert set(WRITES) == {
        "proposal_open",
        "vote_cast",
        "objection_withdraw",
        "proposal_amend",
        "proposal_second_round",
        "proposal_withdraw",
        "proposal_close",
        "comment_post",
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", sorted(WRITES))
def test_governance_authorisation_matrix(world: World, write: str, role: str) -> None:
    allowed, refusal, setup, call, check = WRITES[write]
    subject = setup(world)
    actor = world.people[role]
    if role in allowed:
        call(world, actor, subject)
        assert check(world, actor, subject)
        return
    before = snapshot()
    with pytest.raises(refusal) as refused:
        call(world, actor, subject)
    assert refused.value.detail  # says why
    assert snapshot() == before


def test_closing_needs_no_actor(world: World) -> None:
    proposal = _ended(world)
    assert services.proposal_close(proposal=proposal).status == "passed"


def test_nobody_withdraws_someone_else_s_objection(world: World) -> None:
    proposal = _objected(world)
    before = snapshot()
    with pytest.raises(Conflict):
        services.objection_withdraw(actor=world.proposer, proposal=proposal)
    assert snapshot() == before


def test_a_nomination_by_the_merit_job_has_no_proposer_to_amend_or_withdraw_it(
    world: World,
) -> None:
    c = world.community
    set_rules(c.commons, promotion_contributions=1, promotion_days=0)
    work(c.commons, c.maintainer, c.newcomer)
    nominations = services.merit_run(commons=c.commons).nominations
    assert nominations
    nomination = Proposal.objects.get(pk=nominations[0])
    before = snapshot()
    for role in ROLES:
        with pytest.raises(Forbidden):
            services.proposal_withdraw(actor=world.people[role], proposal=nomination)
        with pytest.raises(Forbidden):
            services.proposal_amend(actor=world.people[role], proposal=nomination, text="x")
    assert snapshot() == before
