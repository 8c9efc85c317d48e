"""Who may vote and who may propose, from the commons' rulebook and its ledger of accepted
contributions: "if you didn't contribute, you had no say"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.domain.errors import Forbidden
from communs.governance import selectors, services
from communs.governance.models import Proposal

from .conftest import Clock, Community, commons_events, organisation, propose, set_rules, work

pytestmark = pytest.mark.django_db


def voters(proposal: Proposal) -> set[str]:
    """Everyone who may vote on `proposal`; the count it keeps for its quorum must agree."""
    names = {a.name for a in Agent.objects.all() if selectors.may_vote(a, proposal)}
    assert proposal.eligible == len(names)
    return names


def electorate(community: Community) -> set[str]:
    return voters(propose(community.maintainer, community.commons))


def test_the_maintainers_and_the_recent_contributors_vote(community: Community) -> None:
    assert electorate(community) == {"alice", "bob", "dave"}
    opened = commons_events(community.commons, "proposal.opened")[-1]
    assert opened["data"]["eligible"] == 3


def test_contributions_count_by_when_they_happened_within_the_window(
    community: Community, frozen: Clock, make_person: Callable[..., Agent]
) -> None:
    set_rules(community.commons, eligibility_days=30)
    frank, gina = make_person("frank"), make_person("gina")
    # Both accepted today; what counts is when the work happened.
    work(community.commons, community.maintainer, frank, occurred_at=frozen() - timedelta(days=31))
    work(community.commons, community.maintainer, gina, occurred_at=frozen() - timedelta(days=29))
    assert electorate(community) == {"alice", "bob", "dave", "gina"}
    frozen.advance(days=31)  # bob's and dave's work is now older than the window
    assert electorate(community) == {"alice"}


def test_the_number_of_contributions_needed_comes_from_the_rulebook(
    community: Community,
) -> None:
    bob = community.contributors[0]
    set_rules(community.commons, eligibility_contributions=2)
    assert electorate(community) == {"alice"}  # a maintainer votes without contributions
    work(community.commons, community.maintainer, bob)
    assert electorate(community) == {"alice", "bob"}


def test_organisations_and_unclaimed_identities_do_not_vote(
    community: Community, frozen: Clock, make_person: Callable[..., Agent]
) -> None:
    coop = organisation(make_person)
    ghost = Agent.objects.create(
        name="ghost", display_name="Ghost Writer", type=Agent.Type.PERSON, created_at=frozen()
    )
    work(community.commons, community.maintainer, coop, n=3)
    work(community.commons, community.maintainer, ghost, n=3)
    assert electorate(community) == {"alice", "bob", "dave"}


def test_pending_rejected_and_withdrawn_contributions_do_not_count(
    community: Community,
) -> None:
    erin, alice, commons = community.newcomer, community.maintainer, community.commons
    submit = commons_services.contribution_submit
    submit(actor=erin, commons=commons, action="work", quantity="1", description="pending")
    rejected = submit(actor=erin, commons=commons, action="work", quantity="1", description="r")
    commons_services.contribution_reject(actor=alice, contribution=rejected, reason="Not ours")
    withdrawn = submit(actor=erin, commons=commons, action="work", quantity="1", description="w")
    commons_services.contribution_withdraw(actor=erin, contribution=withdrawn)
    assert electorate(community) == {"alice", "bob", "dave"}
    with pytest.raises(Forbidden):
        propose(erin, commons)


def test_the_electorate_is_fixed_when_the_proposal_opens(
    community: Community, frozen: Clock
) -> None:
    erin, alice, commons = community.newcomer, community.maintainer, community.commons
    bob, dave = community.contributors
    set_rules(commons, eligibility_days=1)
    proposal = propose(bob, commons)
    frozen.advance(seconds=1)
    # Eligible from now on, even for work done before the proposal opened, but not for it.
    work(commons, alice, erin, occurred_at=frozen() - timedelta(hours=1))
    assert not selectors.may_vote(erin, proposal)
    with pytest.raises(Forbidden):
        services.vote_cast(actor=erin, proposal=proposal, position="agree")
    assert not proposal.votes.exists()
    later = propose(bob, commons)
    assert selectors.may_vote(erin, later)
    assert voters(proposal) == {"alice", "bob", "dave"}
    assert voters(later) == {"alice", "bob", "dave", "erin"}
    # Dave's only contribution leaves the window; he still votes on what opened before.
    frozen.advance(days=2)
    assert selectors.may_vote(dave, proposal)
    services.vote_cast(actor=dave, proposal=proposal, position="agree")
    assert not selectors.may_vote(dave, propose(alice, commons))
    assert voters(proposal) == {"alice", "bob", "dave"}


def test_a_maintainer_added_after_the_opening_does_not_vote_on_it(
    community: Community, frozen: Clock
) -> None:
    alice, erin, commons = community.maintainer, community.newcomer, community.commons
    proposal = propose(alice, commons)
    frozen.advance(seconds=1)
    commons_services.maintainer_add(actor=alice, commons=commons, agent=erin)
    assert voters(proposal) == {"alice", "bob", "dave"}
    with pytest.raises(Forbidden):
        services.vote_cast(actor=erin, proposal=proposal, position="agree")


def test_when_maintainers_decide_contributors_do_not_vote(community: Community) -> None:
    bob = community.contributors[0]
    set_rules(community.commons, who_votes="maintainers")
    proposal = propose(bob, community.commons)  # contributors still propose
    assert voters(proposal) == {"alice"}
    with pytest.raises(Forbidden):
        services.vote_cast(actor=bob, proposal=proposal, position="agree")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("anyone", {"alice", "bob", "erin", "carol"}),
        ("contributors", {"alice", "bob"}),
        ("maintainers", {"alice"}),
    ],
)
def test_who_may_propose(
    community: Community, make_person: Callable[..., Agent], who: str, allowed: set[str]
) -> None:
    if who != "contributors":
        set_rules(community.commons, who_proposes=who)
    people = {
        "alice": community.maintainer,
        "bob": community.contributors[0],
        "erin": community.newcomer,
        "carol": community.outsider,
        "coop": organisation(make_person),  # never: people propose
    }
    for name, person in people.items():
        if name in allowed:
            assert propose(person, community.commons).proposer == person
        else:
            with pytest.raises(Forbidden):
                propose(person, community.commons)
    assert {p.proposer.name for p in community.commons.proposals.all()} == allowed


def test_proposing_needs_recent_contributions_too(community: Community, frozen: Clock) -> None:
    bob = community.contributors[0]
    set_rules(community.commons, eligibility_days=10)
    frozen.advance(days=11)
    with pytest.raises(Forbidden) as refused:
        propose(bob, community.commons)
    assert "10 days" in refused.value.detail


def test_a_maintainer_at_the_opening_keeps_their_vote_after_leaving(
    community: Community, frozen: Clock
) -> None:
    alice, erin, commons = community.maintainer, community.newcomer, community.commons
    commons_services.maintainer_add(actor=alice, commons=commons, agent=erin)
    proposal = propose(alice, commons)
    frozen.advance(seconds=1)
    commons_services.maintainer_retire(commons=commons, agent=erin, inactive_days=200)
    assert voters(proposal) == {"alice", "bob", "dave", "erin"}
    services.vote_cast(actor=erin, proposal=proposal, position="agree")
    assert "erin" not in electorate(community)
