"""Each decision method through the services, with the clock moved by the test: consent with
an amendment, consensus stopped by a block and its second round, majority with a quorum, lazy
consensus, and a consensus everyone reached before the end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from communs.accounts.models import Agent
from communs.commons import selectors as commons_selectors
from communs.governance import selectors, services
from communs.governance.models import Proposal, Vote

from .conftest import Clock, Community, commons_events, crowd, propose, set_rules

pytestmark = pytest.mark.django_db


def positions(proposal: Proposal, round: int) -> dict[str, tuple[str, bool]]:
    return {v.voter.name: (v.position, v.withdrawn) for v in selectors.votes(proposal, round=round)}


def test_consent_amended_discards_consents_keeps_objections_and_passes_once_withdrawn(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    alice, commons = community.maintainer, community.commons
    proposal = propose(bob, commons, change={"type": "add_maintainer", "agent": "erin"})
    services.vote_cast(actor=alice, proposal=proposal, position="agree")
    services.vote_cast(actor=dave, proposal=proposal, position="object", reason="Too soon.")
    frozen.advance(days=3)
    amended = services.proposal_amend(actor=bob, proposal=proposal, text="Erin, in a month.")
    assert amended.round == 2
    assert amended.closes_at == frozen() + timedelta(days=7)  # a full period again
    assert positions(amended, 2) == {"dave": ("object", False)}  # alice's consent is gone
    assert positions(amended, 1) == {"alice": ("agree", False), "dave": ("object", False)}
    assert not selectors.has_voted(alice, amended)
    assert selectors.has_voted(dave, amended)
    # The objection still stops it until its author withdraws it.
    assert selectors.standing(amended, frozen() + timedelta(days=7)).decision.status == "failed"
    services.objection_withdraw(actor=dave, proposal=amended)
    assert positions(amended, 2) == {"dave": ("object", True)}
    frozen.advance(days=7)
    closed = services.proposal_close(proposal=amended)
    assert closed.status == "passed", closed.outcome
    assert commons_selectors.is_maintainer(community.newcomer, commons)
    kinds = [e["kind"] for e in commons_events(commons) if e["kind"].startswith("proposal.")]
    assert kinds == [
        "proposal.opened",
        "proposal.voted",
        "proposal.voted",
        "proposal.amended",
        "proposal.objection_withdrawn",
        "proposal.decided",
    ]


def test_consent_fails_on_an_objection_that_stands_and_says_whose(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    services.vote_cast(actor=dave, proposal=proposal, position="object", reason="Too soon.")
    services.proposal_amend(actor=bob, proposal=proposal, text="Rewritten.")
    frozen.advance(days=7)
    closed = services.proposal_close(proposal=proposal)
    assert closed.status == "failed"
    assert "dave" in closed.outcome
    assert not closed.second_round_possible


def test_consent_passes_with_silence_and_stand_asides(community: Community, frozen: Clock) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    services.vote_cast(actor=dave, proposal=proposal, position="stand_aside")
    frozen.advance(days=7)
    assert services.proposal_close(proposal=proposal).status == "passed"


@pytest.fixture
def ten(community: Community, make_person: Callable[..., Agent]) -> list[Agent]:
    """Ten people eligible: alice, bob, dave and seven more."""
    bob, dave = community.contributors
    return [community.maintainer, bob, dave, *crowd(community, 7, make_person)]


@pytest.mark.parametrize("override", [True, False])
def test_consensus_blocked_then_second_round_at_90_percent(
    community: Community, frozen: Clock, ten: list[Agent], override: bool
) -> None:
    if override:
        set_rules(community.commons, override_blocks=True)
    bob, dave = community.contributors
    erin_in = {"type": "add_maintainer", "agent": "erin"}
    proposal = propose(bob, community.commons, method="consensus", change=erin_in)
    services.vote_cast(actor=dave, proposal=proposal, position="block", reason="Erin is new.")
    for person in ten:
        if person != dave:
            services.vote_cast(actor=person, proposal=proposal, position="agree")
    frozen.advance(days=7)
    first = services.proposal_close(proposal=proposal)
    assert (first.status, first.second_round_possible) == ("failed", True)
    assert "block" in first.outcome
    assert not commons_selectors.is_maintainer(community.newcomer, community.commons)

    second = services.proposal_second_round(actor=bob, proposal=first)
    assert (second.status, second.round) == ("open", 2)
    assert second.closes_at == frozen() + timedelta(days=7)
    assert not selectors.has_voted(bob, second)  # a new round: everyone votes again
    # 9 of 10 in favour (90 %) and one block standing again.
    services.vote_cast(actor=dave, proposal=second, position="block", reason="Still new.")
    for person in ten:
        if person != dave:
            services.vote_cast(actor=person, proposal=second, position="agree")
    frozen.advance(days=7)
    decided = services.proposal_close(proposal=second)
    assert not decided.second_round_possible
    if override:
        assert decided.status == "passed", decided.outcome
        assert "90 %" in decided.outcome
        assert commons_selectors.is_maintainer(community.newcomer, community.commons)
    else:
        assert decided.status == "failed"
        assert "dave" in decided.outcome
        assert not commons_selectors.is_maintainer(community.newcomer, community.commons)


def test_the_second_round_fails_below_its_threshold_even_without_blocks(
    community: Community, frozen: Clock, ten: list[Agent]
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons, method="consensus")
    services.vote_cast(actor=dave, proposal=proposal, position="block", reason="No.")
    frozen.advance(days=7)
    services.proposal_close(proposal=proposal)
    services.proposal_second_round(actor=bob, proposal=proposal)
    for person in ten[:8]:  # 8 agree, dave stands aside, one does not vote: 8/8 in favour
        if person != dave:
            services.vote_cast(actor=person, proposal=proposal, position="agree")
    services.vote_cast(actor=dave, proposal=proposal, position="stand_aside")
    frozen.advance(days=7)
    assert services.proposal_close(proposal=proposal).status == "passed"


def test_a_consensus_everyone_reached_passes_at_once_and_applies_its_change(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    alice = community.maintainer
    erin_in = {"type": "add_maintainer", "agent": "erin"}
    proposal = propose(bob, community.commons, method="consensus", change=erin_in)
    services.vote_cast(actor=bob, proposal=proposal, position="agree")
    services.vote_cast(actor=dave, proposal=proposal, position="stand_aside")
    assert Proposal.objects.get(pk=proposal.pk).status == "open"  # alice has not spoken
    decided = services.vote_cast(actor=alice, proposal=proposal, position="agree")
    assert decided.status == "passed"
    assert decided.decided_at == frozen()
    assert decided.applied == {"maintainer_added": "erin"}
    assert commons_selectors.is_maintainer(community.newcomer, community.commons)
    decided_event = commons_events(community.commons, "proposal.decided")[-1]
    assert decided_event["actor"] == "alice"


def test_a_block_withdrawn_lets_a_unanimous_consensus_pass_at_once(
    community: Community,
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons, method="consensus")
    services.vote_cast(actor=dave, proposal=proposal, position="block", reason="Wait.")
    for voter in (bob, community.maintainer):
        services.vote_cast(actor=voter, proposal=proposal, position="agree")
    assert Proposal.objects.get(pk=proposal.pk).status == "open"
    assert services.objection_withdraw(actor=dave, proposal=proposal).status == "passed"


@pytest.mark.parametrize(
    ("votes", "status"),
    [
        ({}, "failed"),  # nobody voted: no quorum
        ({"alice": "yes"}, "failed"),  # 1 of 3 voted: below a quorum of half
        ({"alice": "yes", "bob": "no"}, "failed"),  # quorum met, half is not more than half
        ({"alice": "yes", "bob": "abstain"}, "passed"),  # abstaining counts toward the quorum
        ({"alice": "yes", "bob": "yes", "dave": "no"}, "passed"),
        ({"alice": "no", "bob": "no", "dave": "yes"}, "failed"),
    ],
)
def test_majority_with_a_quorum(
    community: Community, frozen: Clock, votes: dict[str, str], status: str
) -> None:
    set_rules(community.commons, quorum="50")
    bob, dave = community.contributors
    people = {"alice": community.maintainer, "bob": bob, "dave": dave}
    proposal = propose(bob, community.commons, method="majority")
    for name, position in votes.items():
        services.vote_cast(actor=people[name], proposal=proposal, position=position)
    assert Proposal.objects.get(pk=proposal.pk).status == "open"  # nothing before the end
    frozen.advance(days=7)
    closed = services.proposal_close(proposal=proposal)
    assert closed.status == status, closed.outcome
    if not votes or len(votes) == 1:
        assert "quorum" in closed.outcome


def test_a_supermajority_needs_two_thirds(community: Community, frozen: Clock) -> None:
    bob, dave = community.contributors
    people = [community.maintainer, bob, dave]
    outcomes = []
    for yes in (1, 2):
        proposal = propose(bob, community.commons, method="supermajority")
        for i, person in enumerate(people):
            position = "yes" if i < yes else "no"
            services.vote_cast(actor=person, proposal=proposal, position=position)
        frozen.advance(days=7)
        outcomes.append(services.proposal_close(proposal=proposal).status)
    assert outcomes == ["failed", "passed"]


def test_lazy_consensus_passes_after_72_hours_without_objection(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    quiet = propose(bob, community.commons, method="lazy_consensus")
    objected = propose(bob, community.commons, method="lazy_consensus")
    assert quiet.closes_at == frozen() + timedelta(hours=72)
    services.vote_cast(actor=dave, proposal=objected, position="object", reason="Let us talk.")
    frozen.advance(hours=72, microseconds=-1)
    assert services.governance_tick(commons=community.commons).closed == []
    assert services.proposal_close(proposal=quiet).status == "open"
    frozen.advance(microseconds=1)
    assert services.governance_tick(commons=community.commons).closed == [quiet.pk, objected.pk]
    assert Proposal.objects.get(pk=quiet.pk).status == "passed"
    assert Proposal.objects.get(pk=objected.pk).status == "failed"


def test_the_lazy_consensus_period_comes_from_the_rulebook(
    community: Community, frozen: Clock
) -> None:
    set_rules(community.commons, lazy_consensus_hours=24, duration_hours=48)
    bob = community.contributors[0]
    assert propose(bob, community.commons, method="lazy_consensus").closes_at == frozen() + (
        timedelta(hours=24)
    )
    assert propose(bob, community.commons).closes_at == frozen() + timedelta(hours=48)


def test_a_proposal_is_decided_by_the_rules_in_force_when_it_opened(
    community: Community, frozen: Clock
) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, method="majority")
    services.vote_cast(actor=bob, proposal=proposal, position="yes")  # 1 of 3: the quorum is 1/3
    set_rules(community.commons, quorum="90")  # adopted while it is open
    frozen.advance(days=7)
    assert services.proposal_close(proposal=proposal).status == "passed"
    assert Vote.objects.filter(proposal=proposal).count() == 1
