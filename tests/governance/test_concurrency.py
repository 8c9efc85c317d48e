"""Races on governance that only a real multi-connection database shows (PostgreSQL)."""

from __future__ import annotations

import pytest

from communs.commons.models import Maintainer
from communs.core import eventlog
from communs.domain.errors import Conflict
from communs.governance import services
from communs.governance.models import Proposal, Vote
from tests.conftest import race

from .conftest import Clock, Community, commons_events, propose


@pytest.mark.django_db(transaction=True)
def test_two_votes_by_one_person_at_once_give_one_vote_and_a_conflict(
    requires_postgres: None, community: Community
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    results = race(
        [
            lambda: services.vote_cast(actor=dave, proposal=proposal, position="agree"),
            lambda: services.vote_cast(
                actor=dave, proposal=proposal, position="object", reason="No."
            ),
        ]
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1, results
    assert isinstance(failed[0], Conflict), failed
    assert Vote.objects.filter(proposal=proposal).count() == 1
    assert len(commons_events(community.commons, "proposal.voted")) == 1
    assert eventlog.verify().breaks == ()


@pytest.mark.django_db(transaction=True)
def test_closing_twice_at_once_applies_the_change_once(
    requires_postgres: None, community: Community, frozen: Clock
) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, change={"type": "add_maintainer", "agent": "erin"})
    frozen.advance(days=7)
    results = race([lambda: services.proposal_close(proposal=proposal) for _ in range(3)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Proposal.objects.get(pk=proposal.pk).status == "passed"
    assert (
        Maintainer.objects.filter(commons=community.commons, agent=community.newcomer).count() == 1
    )
    assert len(commons_events(community.commons, "proposal.decided")) == 1
    assert len(commons_events(community.commons, "maintainer.added")) == 1
    assert eventlog.verify().breaks == ()


@pytest.mark.django_db(transaction=True)
def test_the_last_votes_of_a_consensus_at_once_decide_it_once(
    requires_postgres: None, community: Community
) -> None:
    bob, dave = community.contributors
    alice = community.maintainer
    proposal = propose(
        bob,
        community.commons,
        method="consensus",
        change={"type": "add_maintainer", "agent": "erin"},
    )
    results = race(
        [
            lambda voter=voter: services.vote_cast(actor=voter, proposal=proposal, position="agree")
            for voter in (alice, bob, dave)
        ]
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Proposal.objects.get(pk=proposal.pk).status == "passed"
    assert len(commons_events(community.commons, "proposal.decided")) == 1
    assert (
        Maintainer.objects.filter(commons=community.commons, agent=community.newcomer).count() == 1
    )
    assert eventlog.verify().breaks == ()
