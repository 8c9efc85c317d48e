"""Review dates open a review proposal when they come, once; a fork starts from a copy of its
parent's rulebook and changes it on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import RulebookVersion
from communs.governance import services
from communs.governance.models import Proposal

from .conftest import Clock, Community, commons_events, propose, set_rules, snapshot

pytestmark = pytest.mark.django_db


def test_a_review_proposal_opens_when_the_review_date_comes_and_only_once(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    commons = community.commons
    review_on = (frozen() + timedelta(days=30)).date()
    adopted = propose(bob, commons, title="Weekly meetings", review_on=review_on)
    failed = propose(bob, commons, title="Daily meetings", review_on=review_on)
    services.vote_cast(actor=dave, proposal=failed, position="object", reason="Too many.")
    withdrawn = propose(bob, commons, title="No meetings", review_on=review_on)
    services.proposal_withdraw(actor=bob, proposal=withdrawn)
    frozen.advance(days=7)
    services.governance_tick()
    assert Proposal.objects.get(pk=adopted.pk).status == "passed"
    assert Proposal.objects.get(pk=failed.pk).status == "failed"

    frozen.moment = frozen.moment.replace(
        year=review_on.year, month=review_on.month, day=review_on.day
    ) - timedelta(days=1)
    assert services.governance_tick().reviews_opened == []

    frozen.advance(days=1)
    report = services.governance_tick()
    assert len(report.reviews_opened) == 1  # not for the failed nor the withdrawn one
    review = Proposal.objects.get(pk=report.reviews_opened[0])
    assert review.reviews == Proposal.objects.get(pk=adopted.pk)
    assert (review.origin, review.method, review.proposer, review.change) == (
        "review",
        "consent",
        None,
        None,
    )
    assert review.title == "Review: Weekly meetings"
    assert f"#{adopted.pk}" in review.text
    opened = commons_events(commons, "proposal.opened")[-1]
    assert (opened["actor"], opened["data"]["reviews"]) == ("governance", adopted.pk)

    before = snapshot()
    frozen.advance(hours=1)
    assert services.governance_tick().reviews_opened == []
    assert snapshot() == before
    # Once the review is decided, the date that came does not open another.
    frozen.advance(days=7)
    services.governance_tick()
    assert Proposal.objects.get(pk=review.pk).status == "passed"
    frozen.advance(days=30)
    assert services.governance_tick().reviews_opened == []
    assert Proposal.objects.filter(origin="review").count() == 1


def test_a_review_opens_for_the_commons_asked_only(community: Community, frozen: Clock) -> None:
    bob = community.contributors[0]
    other = community.outsider.maintains.get().commons
    review_on = (frozen() + timedelta(days=8)).date()
    here = propose(bob, community.commons, review_on=review_on)
    there = propose(community.outsider, other, review_on=review_on)
    frozen.advance(days=9)
    report = services.governance_tick(commons=other)
    assert report.closed == [there.pk]
    assert [Proposal.objects.get(pk=r).reviews_id for r in report.reviews_opened] == [there.pk]
    assert Proposal.objects.get(pk=here.pk).status == "open"


# -- forks ------------------------------------------------------------------------------------


def test_a_fork_starts_from_a_copy_of_its_parent_s_rulebook_with_one_approval(
    community: Community, frozen: Clock
) -> None:
    alice, commons = community.maintainer, community.commons
    bob, dave = community.contributors
    commons_services.maintainer_add(actor=alice, commons=commons, agent=dave)
    set_rules(commons, quorum="1/2", who_proposes="anyone", approvals_required=2)
    parent_rules = commons_selectors.rulebook_current(commons).rules
    assert parent_rules.approvals_required == 2

    fork = commons_services.commons_fork(actor=bob, parent=commons, slug="seeds-fork")
    book = commons_selectors.rulebook_current(fork)
    assert book.version == 1
    assert book.rules.to_data() == {**parent_rules.to_data(), "approvals_required": 1}
    assert fork.approvals_required == 1
    row = RulebookVersion.objects.get(commons=fork)
    assert (row.created_by, row.proposal) == (bob, None)
    assert "Copied from seed-library" in row.note


def test_a_fork_changes_its_rules_without_touching_its_parent_s(
    community: Community, frozen: Clock
) -> None:
    commons = community.commons
    bob, dave = community.contributors
    fork = commons_services.commons_fork(actor=bob, parent=commons, slug="seeds-fork")
    parent_before = list(commons.rulebooks.values_list("version", "rules"))

    proposal = propose(
        bob,
        fork,
        change={"type": "amend_rulebook", "set": {"quorum": "90", "who_votes": "maintainers"}},
    )
    assert proposal.eligible == 1  # bob maintains the fork; the parent's people are not its own
    frozen.advance(days=7)
    assert services.proposal_close(proposal=proposal).status == "passed"
    forked = commons_selectors.rulebook_current(fork)
    assert (forked.version, forked.row.proposal) == (2, proposal.pk)
    assert forked.rules.to_data()["quorum"] == "9/10"
    assert list(commons.rulebooks.values_list("version", "rules")) == parent_before

    # The parent's later rules do not reach the fork either.
    parent_change = propose(
        dave, commons, change={"type": "amend_rulebook", "set": {"quorum": "1/4"}}
    )
    frozen.advance(days=7)
    assert services.proposal_close(proposal=parent_change).status == "passed"
    assert commons_selectors.rulebook_current(fork).rules.to_data()["quorum"] == "9/10"
    assert commons_selectors.rulebook_current(commons).rules.to_data()["quorum"] == "1/4"
