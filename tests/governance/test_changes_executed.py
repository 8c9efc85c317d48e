"""A proposal's change is applied when, and only when, the decision passes, in the transaction
that records it, and logged with the proposal's number. A failed or withdrawn proposal changes
nothing; a passed one whose change no longer holds ends `failed`, says why, and writes nothing
but its decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import Commons, RulebookVersion, WorkingGroup
from communs.core import eventlog
from communs.domain.errors import Invalid
from communs.domain.rulebook import Power
from communs.governance import services
from communs.governance.models import Proposal
from communs.ledger import selectors as ledger_selectors
from communs.ledger import services as ledger_services
from communs.ledger.models import Expense
from communs.licensing import selectors as licensing_selectors

from .conftest import EQUATION, Clock, Community, commons_events, effects, propose, set_rules

pytestmark = pytest.mark.django_db

GROUP = {"slug": "infra", "name": "Infrastructure", "mandate": "Keep the servers up."}


def _second_maintainer(c: Community) -> Agent:
    dave = c.contributors[1]
    commons_services.maintainer_add(actor=c.maintainer, commons=c.commons, agent=dave)
    return dave


def _pending_expense(c: Community, amount: str = "30") -> Expense:
    ledger_services.income_record(
        actor=c.maintainer, commons=c.commons, kind="donation", amount="100", currency="EUR"
    )
    return ledger_services.expense_submit(
        actor=c.newcomer, commons=c.commons, amount=amount, currency="EUR", description="Server"
    )


def _group(c: Community) -> WorkingGroup:
    return commons_services.working_group_create(
        actor=c.maintainer, commons=c.commons, group={**GROUP, "members": ["bob"]}
    )


@dataclass(frozen=True)
class Case:
    """A change: what must exist first (returns the change), what passing it did, and the
    event its owner logs with the proposal's number."""

    setup: Callable[[Community], dict[str, Any]]
    applied: Callable[[Community, Proposal], dict[str, Any]]
    check: Callable[[Community, Proposal], None]
    event: str


def _holds(fact: bool) -> None:
    assert fact


def _check_rulebook(quorum: str) -> Callable[[Community, Proposal], None]:
    def check(c: Community, p: Proposal) -> None:
        version = RulebookVersion.objects.get(commons=c.commons, version=2)
        assert version.proposal == p.pk
        assert commons_selectors.rulebook_current(c.commons).rules.to_data()["quorum"] == quorum

    return check


def _check_approvals(c: Community, p: Proposal) -> None:
    c.commons.refresh_from_db()
    assert c.commons.approvals_required == 2
    assert commons_selectors.rulebook_current(c.commons).rules.approvals_required == 2
    assert RulebookVersion.objects.get(commons=c.commons, version=2).proposal == p.pk


def _check_group(c: Community, p: Proposal) -> None:
    group = WorkingGroup.objects.get(commons=c.commons, slug="infra")
    assert (group.spending_cap, group.currency, group.cap_period_days) == (20000, "EUR", 30)
    assert (group.proposal, group.closed_at) == (p.pk, None)
    assert {m.agent.name for m in group.members.all()} == {"bob", "erin"}


CASES: dict[str, Case] = {
    "amend_rulebook": Case(
        lambda c: {"type": "amend_rulebook", "set": {"quorum": "1/2"}},
        lambda c, p: {"rulebook_version": 2},
        _check_rulebook("1/2"),
        "rulebook.amended",
    ),
    "adopt_equation": Case(
        lambda c: {"type": "adopt_equation", "equation": EQUATION},
        lambda c, p: {"equation_version": 1},
        lambda c, p: _holds(ledger_selectors.equation_current(c.commons).version == 1),
        "value_equation.adopted",
    ),
    "change_licence": Case(
        lambda c: {"type": "change_licence", "profile": "MIT"},
        lambda c, p: {"licence_version": licensing_selectors.profile_current(c.commons).version},
        lambda c, p: _holds(Commons.objects.get(pk=c.commons.pk).licence == "MIT"),
        "licence.profile_adopted",
    ),
    "add_maintainer": Case(
        lambda c: {"type": "add_maintainer", "agent": "erin"},
        lambda c, p: {"maintainer_added": "erin"},
        lambda c, p: _holds(commons_selectors.is_maintainer(c.newcomer, c.commons)),
        "maintainer.added",
    ),
    "remove_maintainer": Case(
        lambda c: _second_maintainer(c) and {"type": "remove_maintainer", "agent": "dave"},
        lambda c, p: {"maintainer_removed": "dave"},
        lambda c, p: _holds(not commons_selectors.is_maintainer(c.contributors[1], c.commons)),
        "maintainer.removed",
    ),
    "approve_expense": Case(
        lambda c: {"type": "approve_expense", "expense": _pending_expense(c).pk},
        lambda c, p: {"expense_approved": p.change["expense"]},
        lambda c, p: _holds(Expense.objects.get(pk=p.change["expense"]).status == "approved"),
        "expense.approved",
    ),
    "create_working_group": Case(
        lambda c: {
            **GROUP,
            "type": "create_working_group",
            "members": ["bob", "erin"],
            "spending_cap": "200",
            "currency": "EUR",
        },
        lambda c, p: {"working_group": "infra"},
        _check_group,
        "working_group.created",
    ),
    "close_working_group": Case(
        lambda c: _group(c) and {"type": "close_working_group", "slug": "infra"},
        lambda c, p: {"working_group_closed": "infra"},
        lambda c, p: _holds(WorkingGroup.objects.get(slug="infra").closed_at is not None),
        "working_group.closed",
    ),
    "set_approvals": Case(
        lambda c: _second_maintainer(c) and {"type": "set_approvals", "approvals_required": 2},
        lambda c, p: {"rulebook_version": 2},
        _check_approvals,
        "rulebook.amended",
    ),
}


def test_every_change_type_is_exercised() -> None:
    assert set(CASES) == {p.value for p in Power}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_passed_proposal_applies_its_change_and_logs_it_with_its_number(
    community: Community, frozen: Clock, kind: str
) -> None:
    case = CASES[kind]
    change = case.setup(community)
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, change=change)
    services.vote_cast(actor=community.maintainer, proposal=proposal, position="agree")
    frozen.advance(days=7)
    closed = services.proposal_close(proposal=proposal)
    assert closed.status == "passed", closed.outcome
    assert closed.applied == case.applied(community, closed)
    case.check(community, closed)
    decided = commons_events(community.commons, "proposal.decided")[-1]["data"]
    assert (decided["id"], decided["status"], decided["applied"]) == (
        proposal.pk,
        "passed",
        closed.applied,
    )
    logged = commons_events(community.commons, case.event)[-1]
    assert logged["data"]["proposal"] == proposal.pk
    assert eventlog.verify().breaks == ()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_failed_proposal_changes_nothing(community: Community, frozen: Clock, kind: str) -> None:
    change = CASES[kind].setup(community)
    bob, dave = community.contributors
    before = effects()
    proposal = propose(bob, community.commons, change=change)
    services.vote_cast(actor=community.maintainer, proposal=proposal, position="agree")
    services.vote_cast(actor=dave, proposal=proposal, position="object", reason="Not yet.")
    frozen.advance(days=7)
    closed = services.proposal_close(proposal=proposal)
    assert closed.status == "failed"
    assert closed.applied is None
    assert effects() == before
    logged = commons_events(community.commons, CASES[kind].event)
    assert all(e["data"].get("proposal") != proposal.pk for e in logged)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_withdrawn_proposal_changes_nothing(
    community: Community, frozen: Clock, kind: str
) -> None:
    change = CASES[kind].setup(community)
    bob = community.contributors[0]
    before = effects()
    proposal = propose(bob, community.commons, change=change)
    services.vote_cast(actor=community.maintainer, proposal=proposal, position="agree")
    services.proposal_withdraw(actor=bob, proposal=proposal)
    frozen.advance(days=8)
    assert services.governance_tick().closed == []
    assert services.proposal_close(proposal=proposal).status == "withdrawn"
    assert effects() == before


# Passed, but the change no longer holds when the decision comes: (change, what happened
# meanwhile, what the outcome says).
Meanwhile = Callable[[Community, dict[str, Any]], None]


def _retire_alice(c: Community, change: dict[str, Any]) -> None:
    commons_services.maintainer_retire(commons=c.commons, agent=c.maintainer, inactive_days=200)


def _retire_dave(c: Community, change: dict[str, Any]) -> None:
    commons_services.maintainer_retire(
        commons=c.commons, agent=c.contributors[1], inactive_days=200
    )


def _approve_directly(c: Community, change: dict[str, Any]) -> None:
    expense = Expense.objects.get(pk=change["expense"])
    ledger_services.expense_approve(actor=c.maintainer, expense=expense)


def _spend_the_treasury(c: Community, change: dict[str, Any]) -> None:
    other = ledger_services.expense_submit(
        actor=c.contributors[0], commons=c.commons, amount="90", currency="EUR", description="x"
    )
    ledger_services.expense_approve(actor=c.maintainer, expense=other)


def _add_erin(c: Community, change: dict[str, Any]) -> None:
    commons_services.maintainer_add(actor=c.maintainer, commons=c.commons, agent=c.newcomer)


def _take_the_slug(c: Community, change: dict[str, Any]) -> None:
    _group(c)


def _close_it(c: Community, change: dict[str, Any]) -> None:
    commons_services.working_group_close(actor=c.maintainer, commons=c.commons, slug="infra")


def _same_rules_adopted(c: Community, change: dict[str, Any]) -> None:
    set_rules(c.commons, quorum="1/2")


STALE: dict[str, tuple[str, Meanwhile, str]] = {
    "the maintainer to remove became the last one": (
        "remove_maintainer",
        _retire_alice,
        "last maintainer",
    ),
    "the expense was approved meanwhile": (
        "approve_expense",
        _approve_directly,
        "approved, not pending",
    ),
    "the treasury no longer holds enough": (
        "approve_expense",
        _spend_the_treasury,
        "overdraw the treasury",
    ),
    "the person became a maintainer meanwhile": (
        "add_maintainer",
        _add_erin,
        "already maintains",
    ),
    "the working group's slug was taken": (
        "create_working_group",
        _take_the_slug,
        "already has a working group",
    ),
    "the working group was closed meanwhile": (
        "close_working_group",
        _close_it,
        "no open working group",
    ),
    "the rules were adopted meanwhile": (
        "amend_rulebook",
        _same_rules_adopted,
        "already in force",
    ),
    "a maintainer left and fewer approvals can be given": (
        "set_approvals",
        _retire_dave,
        "cannot require more than 1",
    ),
}


@pytest.mark.parametrize("story", sorted(STALE))
def test_a_passed_change_that_no_longer_holds_fails_and_writes_nothing_else(
    community: Community, frozen: Clock, story: str
) -> None:
    kind, meanwhile, reason = STALE[story]
    change = CASES[kind].setup(community)
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, change=change)
    services.vote_cast(actor=community.maintainer, proposal=proposal, position="agree")
    meanwhile(community, change)
    frozen.advance(days=7)
    before, events_before = effects(), len(commons_events(community.commons))
    closed = services.proposal_close(proposal=proposal)
    assert closed.status == "failed"
    assert "The change could not be applied" in closed.outcome
    assert reason in closed.outcome, closed.outcome
    assert closed.applied is None
    assert effects() == before
    new_events = commons_events(community.commons)[events_before:]
    assert [e["kind"] for e in new_events] == ["proposal.decided"]
    assert new_events[0]["data"]["status"] == "failed"
    assert new_events[0]["data"]["id"] == proposal.pk
    assert Proposal.objects.get(pk=proposal.pk).status == "failed"
    assert eventlog.verify().breaks == ()


def test_closing_before_the_period_ends_decides_nothing(
    community: Community, frozen: Clock
) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, change=CASES["add_maintainer"].setup(community))
    services.vote_cast(actor=community.maintainer, proposal=proposal, position="agree")
    frozen.advance(days=7, microseconds=-1)
    before = effects()
    assert services.proposal_close(proposal=proposal).status == "open"
    assert effects() == before
    frozen.advance(microseconds=1)
    assert services.proposal_close(proposal=proposal).status == "passed"
    # Closing again is idempotent: nothing is applied twice.
    after = effects()
    assert services.proposal_close(proposal=proposal).status == "passed"
    assert effects() == after
    assert len(commons_events(community.commons, "maintainer.added")) == 1


def test_the_governance_tick_closes_due_proposals(community: Community, frozen: Clock) -> None:
    bob = community.contributors[0]
    due = propose(bob, community.commons, change={"type": "add_maintainer", "agent": "erin"})
    frozen.advance(days=3)
    later = propose(bob, community.commons)
    frozen.advance(days=4)
    report = services.governance_tick(commons=community.commons)
    assert report.closed == [due.pk]
    assert Proposal.objects.get(pk=later.pk).status == "open"
    assert commons_selectors.is_maintainer(community.newcomer, community.commons)


def test_the_proposer_amends_the_change_of_the_same_type(
    community: Community, frozen: Clock
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons, change={"type": "add_maintainer", "agent": "erin"})
    services.vote_cast(actor=dave, proposal=proposal, position="object", reason="Not erin yet.")
    with pytest.raises(Invalid) as refused:
        services.proposal_amend(
            actor=bob,
            proposal=proposal,
            text="Carol?",
            change={"type": "remove_maintainer", "agent": "alice"},
        )
    assert set(refused.value.errors) == {"change.type"}
    services.proposal_amend(
        actor=bob,
        proposal=proposal,
        text="Dave?",
        change={"type": "add_maintainer", "agent": "dave"},
    )
    services.objection_withdraw(actor=dave, proposal=proposal)
    frozen.advance(days=7)
    closed = services.proposal_close(proposal=proposal)
    assert closed.applied == {"maintainer_added": "dave"}
    assert not commons_selectors.is_maintainer(community.newcomer, community.commons)


def test_an_expense_approved_by_proposal_stays_within_its_working_group_s_cap(
    community: Community, frozen: Clock
) -> None:
    alice, erin, commons = community.maintainer, community.newcomer, community.commons
    bob = community.contributors[0]
    ledger_services.income_record(
        actor=alice, commons=commons, kind="donation", amount="500", currency="EUR"
    )
    group = commons_services.working_group_create(
        actor=alice,
        commons=commons,
        group={
            **GROUP,
            "members": ["erin"],
            "spending_cap": "50",
            "currency": "EUR",
            "cap_period_days": 30,
        },
    )

    def claim(amount: str) -> Expense:
        return ledger_services.expense_submit(
            actor=erin,
            commons=commons,
            amount=amount,
            currency="EUR",
            description="Disks",
            working_group=group,
        )

    within, beyond = claim("30"), claim("30")
    first = propose(bob, commons, change={"type": "approve_expense", "expense": within.pk})
    second = propose(bob, commons, change={"type": "approve_expense", "expense": beyond.pk})
    frozen.advance(days=7)
    assert services.proposal_close(proposal=first).status == "passed"
    before = effects()
    closed = services.proposal_close(proposal=second)
    assert closed.status == "failed"
    assert "may spend €50.00 per 30 days" in closed.outcome
    assert effects() == before
    assert Expense.objects.get(pk=beyond.pk).status == "pending"
