"""The edges around proposals: who may still decide directly once the rulebook takes a power
back, what the rulebook records as in force, how long a failed consensus may go on, and a
daily job that survives one bad item."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.domain.errors import Conflict, Forbidden, Invalid
from communs.domain.rulebook import FOUNDING_POWERS, Power
from communs.governance import services
from communs.governance.models import Proposal
from communs.ledger import services as ledger_services
from communs.ledger.models import Expense
from communs.licensing import services as licensing_services

from .conftest import EQUATION, Clock, Community, commons_events, propose, set_rules, work

pytestmark = pytest.mark.django_db

Unchanged = Callable[[], AbstractContextManager[None]]


def _claim(c: Community, claimant: Agent, amount: str = "40") -> Expense:
    ledger_services.income_record(
        actor=c.maintainer, commons=c.commons, kind="donation", amount="100", currency="EUR"
    )
    return ledger_services.expense_submit(
        actor=claimant, commons=c.commons, amount=amount, currency="EUR", description="Server"
    )


def _take_back(c: Community, power: Power) -> None:
    set_rules(c.commons, maintainers_may=sorted(p.value for p in FOUNDING_POWERS - {power}))


def _pass(proposal: Proposal, voters: tuple[Agent, ...], frozen: Clock) -> Proposal:
    for voter in voters:
        services.vote_cast(actor=voter, proposal=proposal, position="agree")
    frozen.advance(days=8)
    return services.proposal_close(proposal=proposal)


# -- expenses --------------------------------------------------------------------------------


def test_once_expenses_go_by_proposal_a_treasurer_neither_approves_nor_rejects_them(
    community: Community, unchanged: Unchanged
) -> None:
    expense = _claim(community, community.newcomer)
    _take_back(community, Power.APPROVE_EXPENSE)
    with unchanged():
        with pytest.raises(Forbidden, match="asks for a proposal to approve"):
            ledger_services.expense_approve(actor=community.maintainer, expense=expense)
        with pytest.raises(Forbidden, match="asks for a proposal to decide on"):
            ledger_services.expense_reject(
                actor=community.maintainer, expense=expense, reason="Too dear"
            )


def test_a_claim_approved_by_proposal_names_no_person_as_its_decider(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    expense = _claim(community, bob)  # bob claims, then asks the community
    proposal = propose(
        bob, community.commons, change={"type": "approve_expense", "expense": expense.pk}
    )
    assert _pass(proposal, (dave, community.maintainer), frozen).status == "passed"
    expense.refresh_from_db()
    assert (expense.status, expense.decided_by) == ("approved", None)
    approved = commons_events(community.commons, "expense.approved")[-1]
    assert (approved["actor"], approved["data"]["proposal"]) == ("governance", proposal.pk)


def test_a_closed_groups_claims_are_not_approved(community: Community) -> None:
    alice, erin = community.maintainer, community.newcomer
    group = commons_services.working_group_create(
        actor=alice,
        commons=community.commons,
        group={"slug": "infra", "name": "Infra", "mandate": "Servers", "members": ["erin"]},
    )
    ledger_services.income_record(
        actor=alice, commons=community.commons, kind="donation", amount="100", currency="EUR"
    )
    expense = ledger_services.expense_submit(
        actor=erin,
        commons=community.commons,
        amount="10",
        currency="EUR",
        description="Disks",
        working_group=group,
    )
    commons_services.working_group_close(actor=alice, commons=community.commons, slug="infra")
    with pytest.raises(Conflict, match="was closed"):
        ledger_services.expense_approve(actor=alice, expense=expense)
    assert Expense.objects.get(pk=expense.pk).status == "pending"


def test_a_cap_without_its_period_is_refused_by_the_service(community: Community) -> None:
    with pytest.raises(Invalid) as refused:
        commons_services.working_group_create(
            actor=community.maintainer,
            commons=community.commons,
            group={
                "slug": "infra",
                "name": "Infra",
                "mandate": "Servers",
                "spending_cap": "10",
                "cap_period_days": None,
            },
        )
    assert "change.currency" in refused.value.errors
    assert not community.commons.working_groups.exists()


# -- the rulebook records what is in force -----------------------------------------------------


def test_adopting_an_equation_or_a_licence_is_recorded_in_the_rulebook(
    community: Community, frozen: Clock
) -> None:
    commons, alice = community.commons, community.maintainer
    ledger_services.equation_adopt(actor=alice, commons=commons, definition=EQUATION)
    book = commons_selectors.rulebook_current(commons)
    assert (book.rules.equation_version, book.row.note) == (1, "Value equation v1 adopted")
    licensing_services.profile_adopt(actor=alice, commons=commons, profile="MIT")
    assert commons_selectors.rulebook_current(commons).rules.licence_version == 1
    _take_back(community, Power.ADOPT_EQUATION)
    proposal = propose(
        community.contributors[0], commons, change={"type": "adopt_equation", "equation": EQUATION}
    )
    _pass(proposal, community.contributors, frozen)
    book = commons_selectors.rulebook_current(commons)
    assert (book.rules.equation_version, book.row.proposal) == (2, proposal.pk)


def test_a_fork_starts_from_the_built_in_equation_and_its_licence_field(
    community: Community,
) -> None:
    ledger_services.equation_adopt(
        actor=community.maintainer, commons=community.commons, definition=EQUATION
    )
    fork = commons_services.commons_fork(
        actor=community.newcomer, parent=community.commons, slug="seed-fork"
    )
    rules = commons_selectors.rulebook_current(fork).rules
    assert (rules.equation_version, rules.licence_version) == (0, 0)


def test_an_amendment_cannot_set_what_only_adoption_records(community: Community) -> None:
    with pytest.raises(Invalid) as refused:
        propose(
            community.contributors[0],
            community.commons,
            change={"type": "amend_rulebook", "set": {"equation_version": 7}},
        )
    assert list(refused.value.errors) == ["equation_version"]


def test_no_version_without_a_change(community: Community, unchanged: Unchanged) -> None:
    current = commons_selectors.rulebook_current(community.commons).rules
    with unchanged():
        with pytest.raises(Invalid, match="already in force"):
            commons_services.rulebook_adopt(
                actor=None, commons=community.commons, rulebook=current, note="x", proposal=None
            )
        with pytest.raises(Invalid, match="already required"):
            propose(
                community.contributors[0],
                community.commons,
                change={"type": "set_approvals", "approvals_required": 1},
            )


# -- maintainers ----------------------------------------------------------------------------


def test_removing_an_emeritus_takes_away_their_return(
    community: Community, frozen: Clock, make_person: Callable[..., Any]
) -> None:
    commons, alice = community.commons, community.maintainer
    zed = make_person("zed")
    commons_services.maintainer_add(actor=alice, commons=commons, agent=zed)
    commons_services.maintainer_retire(commons=commons, agent=zed, inactive_days=200)
    proposal = propose(
        community.contributors[0], commons, change={"type": "remove_maintainer", "agent": "zed"}
    )
    assert _pass(proposal, community.contributors, frozen).status == "passed"
    assert not commons_selectors.is_emeritus(zed, commons)
    removed = commons_events(commons, "maintainer.removed")[-1]["data"]
    assert removed == {"maintainer": "zed", "proposal": proposal.pk, "emeritus": True}
    with pytest.raises(Forbidden):
        commons_services.maintainer_return(actor=zed, commons=commons)


# -- consensus' second round ----------------------------------------------------------------


def test_a_second_round_follows_the_first_within_a_voting_period(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    blocked = []
    for title in ("soon", "late"):
        proposal = propose(bob, community.commons, method="consensus", title=title)
        services.vote_cast(actor=dave, proposal=proposal, position="block", reason="Not yet")
        blocked.append(proposal)
    frozen.advance(days=8)
    for proposal in blocked:
        assert services.proposal_close(proposal=proposal).second_round_possible
    soon, late = blocked
    frozen.advance(days=6)
    assert services.proposal_second_round(actor=bob, proposal=soon).status == "open"
    frozen.advance(days=2)  # eight days after the first round ended
    with pytest.raises(Conflict, match="more than a voting period ago"):
        services.proposal_second_round(actor=bob, proposal=late)
    assert Proposal.objects.get(pk=late.pk).status == "failed"


# -- the jobs --------------------------------------------------------------------------------


def test_a_failed_nomination_waits_a_month_even_with_no_promotion_period(
    community: Community, frozen: Clock
) -> None:
    commons, alice = community.commons, community.maintainer
    set_rules(commons, promotion_contributions=3, promotion_days=0)
    bob = community.contributors[0]
    work(commons, alice, bob, n=3)
    (first,) = services.merit_run(commons=commons).nominations
    services.vote_cast(
        actor=community.contributors[1],
        proposal=Proposal.objects.get(pk=first),
        position="object",
        reason="Not yet",
    )
    frozen.advance(days=8)
    services.governance_tick(commons=commons)
    assert Proposal.objects.get(pk=first).status == "failed"
    frozen.advance(days=29)  # the failure was decided 29 days ago
    assert services.merit_run(commons=commons).nominations == []
    frozen.advance(days=2)
    assert len(services.merit_run(commons=commons).nominations) == 1


def test_the_jobs_use_consent_only_where_the_rulebook_allows_it(
    community: Community, frozen: Clock
) -> None:
    commons, alice = community.commons, community.maintainer
    set_rules(
        commons,
        methods=["majority"],
        default_method="majority",
        promotion_contributions=3,
        promotion_days=0,
    )
    work(commons, alice, community.contributors[0], n=3)
    (nomination,) = services.merit_run(commons=commons).nominations
    assert Proposal.objects.get(pk=nomination).method == "majority"


def test_one_failing_item_does_not_stop_the_daily_job(
    community: Community, frozen: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = community.contributors[0]
    first = propose(bob, community.commons, title="first")
    second = propose(bob, community.commons, title="second")
    frozen.advance(days=8)
    real = services.proposal_close

    def broken(*, proposal: Proposal, actor: Agent | None = None) -> Proposal:
        if proposal.pk == first.pk:
            raise RuntimeError("a damaged row")
        return real(proposal=proposal, actor=actor)

    monkeypatch.setattr(services, "proposal_close", broken)
    report = services.governance_tick()
    assert report.closed == [second.pk]
    assert report.failures == [f"proposal #{first.pk}"]
    assert Proposal.objects.get(pk=second.pk).status == "passed"
    assert Proposal.objects.get(pk=first.pk).status == "open"
    assert timedelta(days=8) <= frozen() - first.created_at
