"""A working group's spending cap: the expenses charged to it and approved within any period
of its length never add up to more than the cap; only its members charge it, in its currency."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons, WorkingGroup
from communs.domain.errors import Conflict, Invalid
from communs.ledger import services
from communs.ledger.models import Expense
from tests.conftest import Clock, race

from .conftest import income

GROUP = {"slug": "infra", "name": "Infrastructure", "mandate": "Keep the servers up."}


def make_group(
    alice: Agent,
    commons: Commons,
    members: list[str],
    *,
    cap: str | None = "100",
    currency: str = "EUR",
    days: int = 30,
    slug: str = "infra",
) -> WorkingGroup:
    group: dict[str, Any] = {**GROUP, "slug": slug, "members": members}
    if cap is not None:
        group.update(spending_cap=cap, currency=currency, cap_period_days=days)
    return commons_services.working_group_create(actor=alice, commons=commons, group=group)


def charge(actor: Agent, group: WorkingGroup, amount: str, currency: str = "EUR") -> Expense:
    return services.expense_submit(
        actor=actor,
        commons=group.commons,
        amount=amount,
        currency=currency,
        description=f"{amount} for {group.slug}",
        working_group=group,
    )


def approve(alice: Agent, expense: Expense) -> Expense:
    return services.expense_approve(actor=alice, expense=expense)


@pytest.fixture
def infra(alice: Agent, bob: Agent, seed_library: Commons, frozen: Clock) -> WorkingGroup:
    """bob's group in seed-library, which may spend €100 per 30 days; the treasury holds €1000."""
    income(alice, seed_library, "1000")
    return make_group(alice, seed_library, ["bob"])


@pytest.mark.django_db
def test_approved_expenses_stay_within_the_cap(
    alice: Agent, bob: Agent, infra: WorkingGroup, unchanged: Callable[..., Any]
) -> None:
    approve(alice, charge(bob, infra, "60"))
    over = charge(bob, infra, "40.01")
    with unchanged(), pytest.raises(Conflict) as refused:
        approve(alice, over)
    assert "€100.00 per 30 days" in refused.value.detail
    assert "€40.00 is left" in refused.value.detail
    assert Expense.objects.get(pk=over.pk).status == "pending"
    approve(alice, charge(bob, infra, "40"))  # exactly up to the cap
    cent = charge(bob, infra, "0.01")
    with unchanged(), pytest.raises(Conflict) as refused:
        approve(alice, cent)
    assert "€0.00 is left" in refused.value.detail


@pytest.mark.django_db
def test_the_cap_counts_a_rolling_period(
    alice: Agent, bob: Agent, infra: WorkingGroup, frozen: Clock
) -> None:
    approve(alice, charge(bob, infra, "100"))
    waiting = charge(bob, infra, "50")
    frozen.advance(days=30)  # the first approval is exactly 30 days old: still in the period
    with pytest.raises(Conflict):
        approve(alice, waiting)
    frozen.advance(seconds=1)
    assert approve(alice, waiting).status == "approved"


@pytest.mark.django_db
def test_paid_expenses_count_rejected_and_pending_do_not(
    alice: Agent, bob: Agent, infra: WorkingGroup
) -> None:
    paid = approve(alice, charge(bob, infra, "30"))
    services.expense_pay(actor=alice, expense=paid)
    rejected = charge(bob, infra, "90")
    services.expense_reject(actor=alice, expense=rejected, reason="Not needed.")
    charge(bob, infra, "90")  # pending
    assert approve(alice, charge(bob, infra, "70")).status == "approved"  # 30 paid + 70
    with pytest.raises(Conflict):
        approve(alice, charge(bob, infra, "1"))


@pytest.mark.django_db
def test_expenses_outside_the_group_do_not_count_against_it(
    alice: Agent, bob: Agent, infra: WorkingGroup, seed_library: Commons
) -> None:
    general = services.expense_submit(
        actor=bob, commons=seed_library, amount="500", currency="EUR", description="Hall rent"
    )
    approve(alice, general)
    other = make_group(alice, seed_library, ["bob"], slug="events", cap="50")
    approve(alice, charge(bob, other, "50"))
    assert approve(alice, charge(bob, infra, "100")).status == "approved"


@pytest.mark.django_db
def test_a_group_without_a_cap_spends_what_the_treasury_holds(
    alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    income(alice, seed_library, "300")
    group = make_group(alice, seed_library, ["bob"], cap=None)
    assert (group.spending_cap, group.currency, group.cap_period_days) == (None, "", None)
    approve(alice, charge(bob, group, "250"))
    with pytest.raises(Conflict) as refused:  # the treasury's limit, not a cap
        approve(alice, charge(bob, group, "100"))
    assert "overdraw" in refused.value.detail
    charge(bob, group, "10", currency="USD")  # no cap, no currency of its own


@pytest.mark.django_db
def test_only_members_charge_an_open_group_of_this_commons_in_its_currency(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    infra: WorkingGroup,
    other_commons: Commons,
    unchanged: Callable[..., Any],
) -> None:
    foreign = make_group(carol, other_commons, ["carol", "bob"])
    attempts: list[tuple[Callable[[], Any], str]] = [
        (lambda: charge(alice, infra, "10"), "working_group"),  # a maintainer, not a member
        (lambda: charge(carol, infra, "10"), "working_group"),
        (lambda: charge(bob, infra, "10", currency="USD"), "currency"),
        (
            lambda: services.expense_submit(
                actor=bob,
                commons=infra.commons,
                amount="10",
                currency="EUR",
                description="x",
                working_group=foreign,
            ),
            "working_group",
        ),
    ]
    for attempt, field in attempts:
        with unchanged(), pytest.raises(Invalid) as refused:
            attempt()
        assert set(refused.value.errors) == {field}
    commons_services.working_group_close(actor=alice, commons=infra.commons, slug="infra")
    infra.refresh_from_db()
    with unchanged(), pytest.raises(Invalid) as refused:
        charge(bob, infra, "10")
    assert set(refused.value.errors) == {"working_group"}


@pytest.mark.django_db
def test_the_cap_holds_for_approvals_by_proposal_too(
    alice: Agent, bob: Agent, infra: WorkingGroup, frozen: Clock
) -> None:
    approve(alice, charge(bob, infra, "80"))
    over = charge(bob, infra, "30")
    with pytest.raises(Conflict):
        services.expense_approve(actor=alice, expense=over, proposal=1)
    assert Expense.objects.get(pk=over.pk).status == "pending"
    within = charge(bob, infra, "20")
    assert services.expense_approve(actor=alice, expense=within, proposal=2).status == "approved"


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_cannot_both_fit_under_the_cap(
    requires_postgres: None,
    alice: Agent,
    bob: Agent,
    make_person: Callable[..., Agent],
    infra: WorkingGroup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dave = make_person("dave")
    services.treasurer_add(actor=alice, commons=infra.commons, agent=dave)
    first, second = charge(bob, infra, "60"), charge(bob, infra, "60")
    real_sum = sum

    def slow_sum(values: Any) -> Any:  # both would read "nothing spent yet" without the lock
        total = real_sum(values)
        time.sleep(0.3)
        return total

    monkeypatch.setattr(services, "sum", slow_sum, raising=False)
    results = race([lambda: approve(alice, first), lambda: approve(dave, second)])
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1, results
    assert isinstance(failed[0], Conflict)
    assert Expense.objects.filter(status="approved").count() == 1
