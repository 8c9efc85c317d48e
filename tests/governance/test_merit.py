"""Maintainers by merit: the job nominates, by a consent proposal with the evidence attached,
those whose accepted work meets the rulebook's criteria; maintainers inactive for the rulebook's
period become emeritus and can come back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from communs.accounts.models import Agent
from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import Emeritus, Maintainer
from communs.domain.errors import Forbidden
from communs.governance import services
from communs.governance.models import Proposal

from .conftest import (
    Clock,
    Community,
    commons_events,
    organisation,
    propose,
    set_rules,
    snapshot,
    work,
)

pytestmark = pytest.mark.django_db


def nominated(proposal_ids: list[int]) -> list[str]:
    rows = Proposal.objects.filter(pk__in=proposal_ids).order_by("pk")
    return [str((p.change or {})["agent"]) for p in rows]


@pytest.fixture
def criteria(community: Community) -> None:
    """At least 3 accepted contributions, the first at least 30 days ago."""
    set_rules(community.commons, promotion_contributions=3, promotion_days=30)


def test_the_job_nominates_who_meets_the_criteria_with_the_evidence(
    community: Community, frozen: Clock, criteria: None, make_person: Callable[..., Agent]
) -> None:
    commons, alice = community.commons, community.maintainer
    now = frozen()
    frank, gina, hal, ivy = (make_person(n) for n in ("frank", "gina", "hal", "ivy"))
    work(commons, alice, frank, occurred_at=now - timedelta(days=40))
    work(commons, alice, frank, n=2, occurred_at=now - timedelta(days=1))
    work(commons, alice, gina, n=3, occurred_at=now - timedelta(days=10))  # too recent a start
    work(commons, alice, hal, n=2, occurred_at=now - timedelta(days=40))  # too few
    # ivy: two accepted, the rest pending or rejected
    work(commons, alice, ivy, n=2, occurred_at=now - timedelta(days=40))
    for i in range(3):
        row = commons_services.contribution_submit(
            actor=ivy, commons=commons, action="work", quantity="1", description=f"more {i}",
            occurred_at=now - timedelta(days=40),
        )  # fmt: skip
        if i == 0:
            commons_services.contribution_reject(actor=alice, contribution=row, reason="No.")
    # a maintainer already, an organisation and an unclaimed identity are never nominated
    dave = community.contributors[1]
    commons_services.maintainer_add(actor=alice, commons=commons, agent=dave)
    work(commons, alice, dave, n=3, occurred_at=now - timedelta(days=40))
    ghost = Agent.objects.create(
        name="ghost", display_name="Ghost", type=Agent.Type.PERSON, created_at=now
    )
    for agent in (organisation(make_person), ghost):
        work(commons, alice, agent, n=3, occurred_at=now - timedelta(days=40))

    report = services.merit_run(commons=commons)
    assert nominated(report.nominations) == ["frank"]
    nomination = Proposal.objects.get(pk=report.nominations[0])
    assert (nomination.origin, nomination.method, nomination.proposer) == ("merit", "consent", None)
    assert nomination.change == {"type": "add_maintainer", "agent": "frank"}
    assert nomination.evidence == {
        "accepted_contributions": 3,
        "first": (now - timedelta(days=40)).date().isoformat(),
        "last": (now - timedelta(days=1)).date().isoformat(),
        "days": 39,
        "criteria": {"contributions": 3, "days": 30},
    }
    assert "frank has 3 accepted contributions" in nomination.text
    opened = commons_events(commons, "proposal.opened")[-1]
    assert (opened["actor"], opened["data"]["origin"]) == ("governance", "merit")
    assert opened["data"]["evidence"] == nomination.evidence


def test_nobody_is_nominated_twice_while_a_nomination_is_open(
    community: Community, frozen: Clock, criteria: None
) -> None:
    bob = community.contributors[0]
    work(
        community.commons, community.maintainer, bob, n=3, occurred_at=frozen() - timedelta(days=31)
    )
    assert nominated(services.merit_run(commons=community.commons).nominations) == ["bob"]
    before = snapshot()
    frozen.advance(days=3)
    assert services.merit_run(commons=community.commons).nominations == []
    assert snapshot() == before


def test_a_proposal_by_a_person_to_add_them_counts_as_a_nomination(
    community: Community, frozen: Clock, criteria: None
) -> None:
    bob, dave = community.contributors
    work(
        community.commons, community.maintainer, bob, n=3, occurred_at=frozen() - timedelta(days=31)
    )
    propose(dave, community.commons, change={"type": "add_maintainer", "agent": "bob"})
    assert services.merit_run(commons=community.commons).nominations == []


def test_after_a_failed_nomination_the_next_waits_for_the_promotion_period(
    community: Community, frozen: Clock, criteria: None
) -> None:
    bob = community.contributors[0]
    commons, alice = community.commons, community.maintainer
    work(commons, alice, bob, n=3, occurred_at=frozen() - timedelta(days=31))
    first = Proposal.objects.get(pk=services.merit_run(commons=commons).nominations[0])
    services.vote_cast(actor=alice, proposal=first, position="object", reason="Not yet.")
    frozen.advance(days=7)
    assert services.merit_run(commons=commons).nominations == []  # the first was still open
    assert Proposal.objects.get(pk=first.pk).status == "open"
    services.proposal_close(proposal=first)
    assert Proposal.objects.get(pk=first.pk).status == "failed"
    frozen.advance(days=29)
    assert services.merit_run(commons=commons).nominations == []
    frozen.advance(days=2)  # 31 days after the failure
    assert nominated(services.merit_run(commons=commons).nominations) == ["bob"]


def test_a_nomination_that_passes_makes_them_a_maintainer(
    community: Community, frozen: Clock, criteria: None
) -> None:
    bob = community.contributors[0]
    commons = community.commons
    work(commons, community.maintainer, bob, n=3, occurred_at=frozen() - timedelta(days=31))
    report = services.governance_tick()
    assert nominated(report.nominations) == ["bob"]
    frozen.advance(days=7)
    report = services.governance_tick()
    nomination = Proposal.objects.get(change__agent="bob")
    assert report.closed == [nomination.pk]
    assert commons_selectors.is_maintainer(bob, commons)
    assert (nomination.status, nomination.applied) == ("passed", {"maintainer_added": "bob"})
    added = commons_events(commons, "maintainer.added")[-1]
    # The community adopted the nomination: the log names the decision, not a person.
    assert (added["actor"], added["data"]["proposal"]) == ("governance", nomination.pk)
    assert services.merit_run(commons=commons).nominations == []  # a maintainer now


# -- emeritus ---------------------------------------------------------------------------------


@pytest.fixture
def two_maintainers(community: Community) -> Agent:
    """dave maintains seed-library with alice, from the start."""
    dave = community.contributors[1]
    commons_services.maintainer_add(
        actor=community.maintainer, commons=community.commons, agent=dave
    )
    return dave


def _activity(kind: str, community: Community, dave: Agent, frank: Agent, frozen: Clock) -> None:
    """dave does one thing of `kind`, 100 days in (frank, a maintainer since day 150, accepts
    what needs accepting later)."""
    commons, bob = community.commons, community.contributors[0]
    frozen.advance(days=100)
    if kind == "contribution":
        row = commons_services.contribution_submit(
            actor=dave, commons=commons, action="work", quantity="1", description="fix",
            occurred_at=frozen(),
        )  # fmt: skip
    elif kind == "approval":
        row = commons_services.contribution_submit(
            actor=bob, commons=commons, action="work", quantity="1", description="fix"
        )
        commons_services.contribution_accept(actor=dave, contribution=row)
    elif kind == "vote":
        services.vote_cast(actor=dave, proposal=propose(bob, commons), position="agree")
    elif kind == "comment":
        services.comment_post(actor=dave, commons=commons, text="Still here.")
    frozen.advance(days=50)
    commons_services.maintainer_add(actor=community.maintainer, commons=commons, agent=frank)
    if kind == "contribution":
        commons_services.contribution_accept(actor=frank, contribution=row)


@pytest.mark.parametrize("kind", ["contribution", "approval", "vote", "comment", "nothing"])
def test_each_kind_of_activity_keeps_a_maintainer_active(
    community: Community,
    frozen: Clock,
    two_maintainers: Agent,
    make_person: Callable[..., Agent],
    kind: str,
) -> None:
    dave, frank = two_maintainers, make_person("frank")
    start = frozen()
    _activity(kind, community, dave, frank, frozen)
    frozen.moment = start + timedelta(days=181)  # alice's last approval was at the start
    report = services.merit_run(commons=community.commons)
    expected = {"alice"} if kind != "nothing" else {"alice", "dave"}
    assert set(report.emeriti) == expected
    assert set(
        commons_selectors.emeriti(community.commons).values_list("agent__name", flat=True)
    ) == (expected)
    assert commons_selectors.is_maintainer(frank, community.commons)


def test_an_emeritus_is_recorded_and_logged(
    community: Community, frozen: Clock, two_maintainers: Agent, make_person: Callable[..., Agent]
) -> None:
    since = Maintainer.objects.get(agent=community.maintainer).added_at
    frozen.advance(days=170)
    services.comment_post(actor=two_maintainers, commons=community.commons, text="Here.")
    frozen.advance(days=11)
    assert services.merit_run(commons=community.commons).emeriti == ["alice"]
    row = Emeritus.objects.get()
    assert (row.agent, row.maintainer_since, row.since) == (community.maintainer, since, frozen())
    logged = commons_events(community.commons, "maintainer.emeritus")[-1]
    assert logged["data"] == {"maintainer": "alice", "inactive_days": 181}
    before = snapshot()
    assert services.merit_run(commons=community.commons).emeriti == []  # idempotent
    assert snapshot() == before


def test_a_period_of_180_days_exactly_is_not_yet_inactive(
    community: Community, frozen: Clock, two_maintainers: Agent
) -> None:
    services.comment_post(actor=two_maintainers, commons=community.commons, text="Here.")
    frozen.advance(days=180)
    services.comment_post(actor=two_maintainers, commons=community.commons, text="Still.")
    assert services.merit_run(commons=community.commons).emeriti == []
    frozen.advance(seconds=1)
    assert services.merit_run(commons=community.commons).emeriti == ["alice"]


def test_the_last_maintainer_never_becomes_emeritus(community: Community, frozen: Clock) -> None:
    frozen.advance(days=400)
    assert services.merit_run(commons=community.commons).emeriti == []
    assert commons_selectors.is_maintainer(community.maintainer, community.commons)


def test_when_both_are_inactive_one_stays(
    community: Community, frozen: Clock, two_maintainers: Agent
) -> None:
    frozen.advance(days=400)
    assert len(services.merit_run(commons=community.commons).emeriti) == 1
    assert Maintainer.objects.filter(commons=community.commons).count() == 1


def test_maintainers_the_approvals_required_still_need_stay(
    community: Community, frozen: Clock, two_maintainers: Agent
) -> None:
    commons_services.settings_update(
        actor=community.maintainer, commons=community.commons, approvals_required=2
    )
    frozen.advance(days=400)
    assert services.merit_run(commons=community.commons).emeriti == []
    assert Maintainer.objects.filter(commons=community.commons).count() == 2


def test_the_emeritus_period_comes_from_the_rulebook(
    community: Community, frozen: Clock, two_maintainers: Agent
) -> None:
    set_rules(community.commons, emeritus_after_days=10)
    frozen.advance(days=5)
    services.comment_post(actor=two_maintainers, commons=community.commons, text="Here.")
    frozen.advance(days=6)
    assert services.merit_run(commons=community.commons).emeriti == ["alice"]


@pytest.fixture
def emeritus_alice(community: Community, frozen: Clock, two_maintainers: Agent) -> Agent:
    frozen.advance(days=170)
    services.comment_post(actor=two_maintainers, commons=community.commons, text="Here.")
    frozen.advance(days=11)
    assert services.merit_run(commons=community.commons).emeriti == ["alice"]
    return community.maintainer


def test_an_emeritus_comes_back_on_their_own_word(
    community: Community, frozen: Clock, emeritus_alice: Agent
) -> None:
    commons = community.commons
    before = snapshot()
    with pytest.raises(Forbidden):  # only an emeritus comes back this way
        commons_services.maintainer_return(actor=community.newcomer, commons=commons)
    assert snapshot() == before
    commons_services.maintainer_return(actor=emeritus_alice, commons=commons)
    assert commons_selectors.is_maintainer(emeritus_alice, commons)
    assert not Emeritus.objects.exists()
    assert commons_events(commons, "maintainer.returned")[-1]["data"] == {"maintainer": "alice"}
    # Back with a fresh start: not retired again at once.
    assert services.merit_run(commons=commons).emeriti == []


def test_an_emeritus_added_again_by_a_maintainer_comes_back(
    community: Community, emeritus_alice: Agent
) -> None:
    dave = community.contributors[1]
    commons_services.maintainer_add(actor=dave, commons=community.commons, agent=emeritus_alice)
    assert not Emeritus.objects.exists()
    added = commons_events(community.commons, "maintainer.added")[-1]
    assert added["data"] == {"maintainer": "alice", "returning": True}


def test_an_emeritus_added_again_by_a_proposal_comes_back(
    community: Community, frozen: Clock, emeritus_alice: Agent
) -> None:
    bob, dave = community.contributors
    work(community.commons, dave, bob)  # bob's first contribution is now old; a new one
    proposal = propose(bob, community.commons, change={"type": "add_maintainer", "agent": "alice"})
    frozen.advance(days=7)
    assert services.proposal_close(proposal=proposal).status == "passed"
    assert commons_selectors.is_maintainer(emeritus_alice, community.commons)
    assert not Emeritus.objects.exists()


def test_an_emeritus_is_not_nominated_by_the_job_that_retired_them(
    community: Community, frozen: Clock, two_maintainers: Agent
) -> None:
    set_rules(community.commons, promotion_contributions=1, promotion_days=0)
    work(community.commons, community.maintainer, two_maintainers, n=2)
    frozen.advance(days=181)
    # alice speaks and stays; dave's last activity is his work at the start
    services.comment_post(actor=community.maintainer, commons=community.commons, text="Hi.")
    assert services.merit_run(commons=community.commons).emeriti == ["dave"]
    again = services.merit_run(commons=community.commons)
    assert "dave" not in nominated(again.nominations)
