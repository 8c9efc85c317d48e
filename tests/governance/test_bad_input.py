"""Bad input to governance: each is refused with the error that says what is wrong (Invalid on
the field, Conflict for the state, Forbidden for the person) and writes nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest

from communs.commons import services as commons_services
from communs.domain.errors import Conflict, DomainError, Invalid
from communs.governance import services
from communs.governance.models import Proposal
from communs.ledger import services as ledger_services

from .conftest import Clock, Community, propose, set_rules

pytestmark = pytest.mark.django_db

Unchanged = Callable[[], AbstractContextManager[None]]


def refused(unchanged: Unchanged, error: type[DomainError], call: Callable[[], Any]) -> DomainError:
    with unchanged(), pytest.raises(error) as caught:
        call()
    assert caught.value.detail
    return caught.value


def fields(unchanged: Unchanged, call: Callable[[], Any]) -> set[str]:
    return set(refused(unchanged, Invalid, call).errors)


# -- votes ------------------------------------------------------------------------------------


def test_no_vote_once_the_period_has_ended_even_before_it_is_closed(
    community: Community, frozen: Clock, unchanged: Unchanged
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    frozen.advance(days=7)  # ended, not yet closed
    assert Proposal.objects.get(pk=proposal.pk).status == "open"
    refused(
        unchanged,
        Conflict,
        lambda: services.vote_cast(actor=dave, proposal=proposal, position="object", reason="x"),
    )
    services.proposal_close(proposal=proposal)
    refused(
        unchanged,
        Conflict,
        lambda: services.vote_cast(actor=dave, proposal=proposal, position="agree"),
    )
    assert Proposal.objects.get(pk=proposal.pk).status == "passed"


def test_no_second_vote_in_a_round(community: Community, unchanged: Unchanged) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    services.vote_cast(actor=dave, proposal=proposal, position="agree")
    error = refused(
        unchanged,
        Conflict,
        lambda: services.vote_cast(actor=dave, proposal=proposal, position="object", reason="x"),
    )
    assert "already voted" in error.detail


@pytest.mark.parametrize(
    ("method", "position"),
    [("consent", "object"), ("lazy_consensus", "object"), ("consensus", "block")],
)
@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_objections_and_blocks_carry_a_reason(
    community: Community, unchanged: Unchanged, method: str, position: str, reason: str
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons, method=method)
    assert fields(
        unchanged,
        lambda: services.vote_cast(actor=dave, proposal=proposal, position=position, reason=reason),
    ) == {"reason"}


@pytest.mark.parametrize(
    ("method", "position"),
    [
        ("consent", "block"),
        ("consent", "yes"),
        ("consensus", "object"),
        ("consensus", "no"),
        ("majority", "agree"),
        ("majority", "block"),
        ("supermajority", "stand_aside"),
        ("lazy_consensus", "stand_aside"),
        ("lazy_consensus", "block"),
        ("consent", "maybe"),
        ("consent", ""),
        ("consent", None),
    ],
)
def test_positions_the_method_does_not_know_are_refused(
    community: Community, unchanged: Unchanged, method: str, position: object
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons, method=method)
    assert fields(
        unchanged,
        lambda: services.vote_cast(actor=dave, proposal=proposal, position=position, reason="r"),
    ) == {"position"}


@pytest.mark.parametrize("reason", ["x" * 2001, "no\x00"])
def test_a_reason_too_long_or_with_nul_is_refused_on_reason(
    community: Community, unchanged: Unchanged, reason: str
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    for position in ("agree", "object"):
        assert fields(
            unchanged,
            lambda p=position: services.vote_cast(
                actor=dave, proposal=proposal, position=p, reason=reason
            ),
        ) == {"reason"}


def test_blocks_beyond_the_rulebook_s_limit_per_period_are_refused(
    community: Community, frozen: Clock, unchanged: Unchanged
) -> None:
    bob, dave = community.contributors
    set_rules(community.commons, blocks_per_period=1, block_period_days=30)
    first = propose(bob, community.commons, method="consensus")
    services.vote_cast(actor=dave, proposal=first, position="block", reason="No.")
    services.objection_withdraw(actor=dave, proposal=first)  # a withdrawn block was still cast
    second = propose(bob, community.commons, method="consensus")
    assert fields(
        unchanged,
        lambda: services.vote_cast(actor=dave, proposal=second, position="block", reason="No."),
    ) == {"position"}
    # Others still block; dave may still agree or stand aside.
    services.vote_cast(actor=community.maintainer, proposal=second, position="block", reason="No")
    frozen.advance(days=30, seconds=1)  # the first block leaves the period
    third = propose(bob, community.commons, method="consensus")
    services.vote_cast(actor=dave, proposal=third, position="block", reason="Still no.")


# -- methods ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["vote", "Consent", "sortition", "1"])
def test_unknown_methods_are_refused(
    community: Community, unchanged: Unchanged, method: str
) -> None:
    bob = community.contributors[0]
    assert fields(unchanged, lambda: propose(bob, community.commons, method=method)) == {"method"}


def test_methods_the_rulebook_does_not_allow_are_refused(
    community: Community, unchanged: Unchanged
) -> None:
    bob = community.contributors[0]
    set_rules(community.commons, methods=["consent", "lazy_consensus"])
    error = refused(unchanged, Invalid, lambda: propose(bob, community.commons, method="majority"))
    assert set(error.errors) == {"method"}
    assert "consent, lazy_consensus" in error.errors["method"][0]
    assert propose(bob, community.commons, method="").method == "consent"  # the default


# -- amending, second rounds, withdrawing -----------------------------------------------------


@pytest.mark.parametrize("method", ["consensus", "majority", "supermajority", "lazy_consensus"])
def test_only_a_consent_proposal_is_amended(
    community: Community, unchanged: Unchanged, method: str
) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, method=method)
    assert fields(
        unchanged, lambda: services.proposal_amend(actor=bob, proposal=proposal, text="Better")
    ) == {"method"}


def test_no_amendment_once_the_period_ended_or_the_proposal_is_withdrawn(
    community: Community, frozen: Clock, unchanged: Unchanged
) -> None:
    bob = community.contributors[0]
    ended = propose(bob, community.commons)
    withdrawn = propose(bob, community.commons)
    services.proposal_withdraw(actor=bob, proposal=withdrawn)
    for proposal in (withdrawn, ended):
        frozen.advance(days=7)
        refused(
            unchanged,
            Conflict,
            lambda p=proposal: services.proposal_amend(actor=bob, proposal=p, text="Better"),
        )


def test_an_amendment_needs_its_text_and_a_change_to_amend(
    community: Community, unchanged: Unchanged
) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons)
    for text in ("", "  ", "x" * 20_001, "a\x00b"):
        assert fields(
            unchanged, lambda t=text: services.proposal_amend(actor=bob, proposal=proposal, text=t)
        ) == {"text"}
    assert fields(
        unchanged,
        lambda: services.proposal_amend(actor=bob, proposal=proposal, text="ok", title="t" * 201),
    ) == {"title"}
    assert fields(
        unchanged,
        lambda: services.proposal_amend(
            actor=bob,
            proposal=proposal,
            text="ok",
            change={"type": "add_maintainer", "agent": "erin"},
        ),
    ) == {"change"}


def _consensus_first_round(
    community: Community, frozen: Clock, *, block: bool, everyone: bool = False
) -> Proposal:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons, method="consensus")
    if block:
        services.vote_cast(actor=dave, proposal=proposal, position="block", reason="No.")
    else:
        services.vote_cast(actor=dave, proposal=proposal, position="agree")
    if everyone:
        for voter in (bob, community.maintainer):
            services.vote_cast(actor=voter, proposal=proposal, position="agree")
    frozen.advance(days=7)
    return services.proposal_close(proposal=proposal)


def test_a_second_round_only_follows_a_failed_first_round_of_consensus(
    community: Community, frozen: Clock, unchanged: Unchanged
) -> None:
    bob, dave = community.contributors
    second_round = services.proposal_second_round

    still_open = propose(bob, community.commons, method="consensus")
    refused(unchanged, Conflict, lambda: second_round(actor=bob, proposal=still_open))

    consent = propose(bob, community.commons)
    services.vote_cast(actor=dave, proposal=consent, position="object", reason="No.")
    passed = _consensus_first_round(community, frozen, block=False)
    assert passed.status == "passed"
    assert Proposal.objects.get(pk=consent.pk).status == "open"
    services.proposal_close(proposal=consent)
    assert Proposal.objects.get(pk=consent.pk).status == "failed"
    for proposal in (consent, passed):
        refused(unchanged, Conflict, lambda p=proposal: second_round(actor=bob, proposal=p))

    blocked = _consensus_first_round(community, frozen, block=True)
    second_round(actor=bob, proposal=blocked)
    refused(unchanged, Conflict, lambda: second_round(actor=bob, proposal=blocked))  # open again
    services.vote_cast(actor=dave, proposal=blocked, position="block", reason="Still no.")
    frozen.advance(days=7)
    assert services.proposal_close(proposal=blocked).status == "failed"
    refused(unchanged, Conflict, lambda: second_round(actor=bob, proposal=blocked))  # no third


def test_a_decided_proposal_is_not_withdrawn(
    community: Community, frozen: Clock, unchanged: Unchanged
) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons)
    frozen.advance(days=7)
    services.proposal_close(proposal=proposal)
    refused(unchanged, Conflict, lambda: services.proposal_withdraw(actor=bob, proposal=proposal))
    other = propose(bob, community.commons)
    services.proposal_withdraw(actor=bob, proposal=other)
    refused(unchanged, Conflict, lambda: services.proposal_withdraw(actor=bob, proposal=other))


def test_a_failed_first_round_of_consensus_may_be_withdrawn_instead(
    community: Community, frozen: Clock
) -> None:
    blocked = _consensus_first_round(community, frozen, block=True)
    bob = community.contributors[0]
    assert services.proposal_withdraw(actor=bob, proposal=blocked).status == "withdrawn"
    assert not Proposal.objects.get(pk=blocked.pk).second_round_possible


def test_withdrawing_an_objection_twice_is_refused(
    community: Community, unchanged: Unchanged
) -> None:
    bob, dave = community.contributors
    proposal = propose(bob, community.commons)
    services.vote_cast(actor=dave, proposal=proposal, position="object", reason="No.")
    services.objection_withdraw(actor=dave, proposal=proposal)
    refused(unchanged, Conflict, lambda: services.objection_withdraw(actor=dave, proposal=proposal))


# -- titles, texts, review dates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "bad"),
    [
        ("", "text", {"title"}),
        ("   ", "text", {"title"}),
        ("t" * 201, "text", {"title"}),
        ("a\x00b", "text", {"title"}),
        ("title", "", {"text"}),
        ("title", "x" * 20_001, {"text"}),
        ("title", "a\x00b", {"text"}),
        ("", "", {"title", "text"}),
    ],
)
def test_a_proposal_needs_a_title_and_a_text(
    community: Community, unchanged: Unchanged, title: str, text: str, bad: set[str]
) -> None:
    bob = community.contributors[0]
    assert fields(unchanged, lambda: propose(bob, community.commons, title=title, text=text)) == bad


def test_edges_of_title_and_text_are_accepted(community: Community) -> None:
    bob = community.contributors[0]
    proposal = propose(bob, community.commons, title="t" * 200, text="x" * 20_000)
    assert (len(proposal.title), len(proposal.text)) == (200, 20_000)


@pytest.mark.parametrize("days", [0, -1, -400])
def test_a_review_date_lies_in_the_future(
    community: Community, frozen: Clock, unchanged: Unchanged, days: int
) -> None:
    bob = community.contributors[0]
    when = (frozen() + timedelta(days=days)).date()
    assert fields(unchanged, lambda: propose(bob, community.commons, review_on=when)) == {
        "review_on"
    }


# -- changes that could not be applied --------------------------------------------------------


def _expense(community: Community, *, approve: bool = False) -> int:
    alice = community.maintainer
    ledger_services.income_record(
        actor=alice, commons=community.commons, kind="donation", amount="100", currency="EUR"
    )
    expense = ledger_services.expense_submit(
        actor=community.newcomer,
        commons=community.commons,
        amount="10",
        currency="EUR",
        description="Hosting",
    )
    if approve:
        ledger_services.expense_approve(actor=alice, expense=expense)
    return expense.pk


BAD_CHANGES: dict[
    str, tuple[Callable[[Community], dict[str, Any]], type[DomainError], set[str]]
] = {
    "unknown type": (lambda c: {"type": "crown"}, Invalid, {"change.type"}),
    "extra field": (
        lambda c: {"type": "add_maintainer", "agent": "erin", "role": "king"},
        Invalid,
        {"change.role"},
    ),
    "equation that does not parse": (
        lambda c: {"type": "adopt_equation", "equation": {"rates": {}, "buckets": "all"}},
        Invalid,
        {"change.equation.buckets"},
    ),
    "equation paying nobody known": (
        lambda c: {
            "type": "adopt_equation",
            "equation": {
                "buckets": [{"name": "x", "percent": "100", "to": "agent", "agent": "nobody"}]
            },
        },
        Invalid,
        {"change.equation.buckets[0].agent"},
    ),
    "unknown licence": (
        lambda c: {"type": "change_licence", "profile": "WTFPL-9"},
        Invalid,
        {"change.profile"},
    ),
    "removing the last maintainer": (
        lambda c: {"type": "remove_maintainer", "agent": "alice"},
        Invalid,
        {"change.agent"},
    ),
    "removing a maintainer the approvals still need": (
        lambda c: _two_approvals(c) and {"type": "remove_maintainer", "agent": "dave"},
        Invalid,
        {"change.agent"},
    ),
    "removing someone who is no maintainer": (
        lambda c: {"type": "remove_maintainer", "agent": "bob"},
        Invalid,
        {"change.agent"},
    ),
    "adding a maintainer again": (
        lambda c: {"type": "add_maintainer", "agent": "alice"},
        Conflict,
        set(),
    ),
    "adding nobody": (
        lambda c: {"type": "add_maintainer", "agent": "zed"},
        Invalid,
        {"change.agent"},
    ),
    "adding an organisation": (
        lambda c: {"type": "add_maintainer", "agent": _organisation(c)},
        Invalid,
        {"change.agent"},
    ),
    "no such expense": (
        lambda c: {"type": "approve_expense", "expense": 999},
        Invalid,
        {"change.expense"},
    ),
    "an expense already approved": (
        lambda c: {"type": "approve_expense", "expense": _expense(c, approve=True)},
        Invalid,
        {"change.expense"},
    ),
    "a working group that exists": (
        lambda c: (
            _existing_group(c)
            and {"type": "create_working_group", "slug": "infra", "name": "I", "mandate": "m"}
        ),
        Conflict,
        set(),
    ),
    "a member nobody is": (
        lambda c: {
            "type": "create_working_group",
            "slug": "infra",
            "name": "I",
            "mandate": "m",
            "members": ["bob", "zed"],
        },
        Invalid,
        {"change.members"},
    ),
    "closing a group that is not there": (
        lambda c: {"type": "close_working_group", "slug": "infra"},
        Invalid,
        {"change.slug"},
    ),
    "more approvals than maintainers": (
        lambda c: {"type": "set_approvals", "approvals_required": 2},
        Invalid,
        {"change.approvals_required"},
    ),
    "a rulebook amendment asking more approvals than maintainers": (
        lambda c: {"type": "amend_rulebook", "set": {"approvals_required": 3}},
        Invalid,
        {"approvals_required"},
    ),
    "an idle rulebook amendment": (
        lambda c: {"type": "amend_rulebook", "set": {"quorum": "1/3"}},
        Invalid,
        {"set"},
    ),
    "an unknown rule": (
        lambda c: {"type": "amend_rulebook", "set": {"veto": True}},
        Invalid,
        {"veto"},
    ),
    "a bad rule value": (
        lambda c: {"type": "amend_rulebook", "set": {"quorum": "150"}},
        Invalid,
        {"quorum"},
    ),
    "giving maintainers the rulebook": (
        lambda c: {"type": "amend_rulebook", "set": {"maintainers_may": ["amend_rulebook"]}},
        Invalid,
        {"maintainers_may"},
    ),
}


def _two_approvals(c: Community) -> bool:
    commons_services.maintainer_add(actor=c.maintainer, commons=c.commons, agent=c.contributors[1])
    commons_services.settings_update(actor=c.maintainer, commons=c.commons, approvals_required=2)
    return True


def _organisation(c: Community) -> str:
    from communs.accounts import services as accounts

    return accounts.organisation_create(
        actor=c.newcomer, name="coop", display_name="Coop", kind="worker_coop"
    ).name


def _existing_group(c: Community) -> bool:
    commons_services.working_group_create(
        actor=c.maintainer, commons=c.commons, group={"slug": "infra", "name": "I", "mandate": "m"}
    )
    return True


@pytest.mark.parametrize("story", sorted(BAD_CHANGES))
def test_a_change_that_could_not_be_applied_is_refused_before_the_vote(
    community: Community, unchanged: Unchanged, story: str
) -> None:
    make, error, bad = BAD_CHANGES[story]
    change = make(community)
    bob = community.contributors[0]
    caught = refused(unchanged, error, lambda: propose(bob, community.commons, change=change))
    assert set(caught.errors) == bad


# -- discussions ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001, "a\x00b"])
def test_a_message_needs_a_text(community: Community, unchanged: Unchanged, text: str) -> None:
    bob = community.contributors[0]
    assert fields(
        unchanged,
        lambda: services.comment_post(actor=bob, commons=community.commons, text=text),
    ) == {"text"}


def test_replies_stay_in_their_thread_and_subjects_in_their_commons(
    community: Community, unchanged: Unchanged
) -> None:
    bob, dave = community.contributors
    commons, other = community.commons, community.outsider.maintains.get().commons
    post = services.comment_post
    first, second = propose(bob, commons), propose(bob, commons)
    contribution = commons.contributions.first()
    assert contribution is not None
    on_first = post(actor=bob, commons=commons, proposal=first, text="On the first.")
    on_commons = post(actor=bob, commons=commons, text="About the commons.")
    elsewhere = post(actor=bob, commons=other, text="Elsewhere.")
    foreign = propose(community.outsider, other)

    attempts: list[tuple[Callable[[], Any], str]] = [
        (
            lambda: post(actor=dave, commons=commons, proposal=second, parent=on_first, text="r"),
            "parent",
        ),
        (lambda: post(actor=dave, commons=commons, parent=on_first, text="r"), "parent"),
        (
            lambda: post(actor=dave, commons=commons, proposal=first, parent=on_commons, text="r"),
            "parent",
        ),
        (
            lambda: post(
                actor=dave, commons=commons, contribution=contribution, parent=on_first, text="r"
            ),
            "parent",
        ),
        (lambda: post(actor=dave, commons=commons, parent=elsewhere, text="r"), "parent"),
        (lambda: post(actor=dave, commons=commons, proposal=foreign, text="r"), "subject"),
        (
            lambda: post(
                actor=dave, commons=commons, proposal=first, contribution=contribution, text="r"
            ),
            "subject",
        ),
    ]
    for attempt, field in attempts:
        assert fields(unchanged, attempt) == {field}
    reply = post(actor=dave, commons=commons, proposal=first, parent=on_first, text="Agreed.")
    assert (reply.parent, reply.proposal) == (on_first, first)
