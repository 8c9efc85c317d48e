"""Who may do what with a commons' treasury: every ledger write against every role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.domain.errors import DomainError, Forbidden
from communs.ledger import selectors, services
from communs.ledger.models import Distribution, EquationVersion, Expense, Income

from .conftest import Roles, accept, equation, ledger_snapshot

pytestmark = pytest.mark.django_db

ROLES = ["contributor", "maintainer", "treasurer", "org_member", "outsider"]
TREASURERS = {"maintainer", "treasurer", "org_member"}
MAINTAINERS = {"maintainer"}
EVERYONE = set(ROLES)


def _pending(roles: Roles) -> Expense:
    _income(roles)  # money to approve it against
    return services.expense_submit(
        actor=roles.contributor,
        commons=roles.commons,
        amount="10",
        currency="EUR",
        description="Hosting",
    )


def _approved(roles: Roles) -> Expense:
    claim = _pending(roles)
    return services.expense_approve(actor=roles.maintainer, expense=claim)


def _income(roles: Roles) -> Income:
    return services.income_record(
        actor=roles.maintainer, commons=roles.commons, kind="donation", amount="50", currency="EUR"
    )


# Each write: (who may, setup run by the maintainer, the call as `actor`, what it leaves behind).
Setup = Callable[[Roles], Any]
Call = Callable[[Roles, Agent, Any], Any]
Check = Callable[[Roles, Any], bool]
WRITES: dict[str, tuple[set[str], Setup, Call, Check]] = {
    "income_record": (
        TREASURERS,
        lambda r: None,
        lambda r, actor, _: services.income_record(
            actor=actor, commons=r.commons, kind="sponsorship", amount="5", currency="EUR"
        ),
        lambda r, _: Income.objects.filter(commons=r.commons).count() == 1,
    ),
    "expense_submit": (
        EVERYONE,
        lambda r: None,
        lambda r, actor, _: services.expense_submit(
            actor=actor, commons=r.commons, amount="5", currency="EUR", description="Stickers"
        ),
        lambda r, _: Expense.objects.filter(commons=r.commons).count() == 1,
    ),
    "expense_approve": (
        TREASURERS,
        _pending,
        lambda r, actor, claim: services.expense_approve(actor=actor, expense=claim),
        lambda r, claim: Expense.objects.get(pk=claim.pk).status == "approved",
    ),
    "expense_reject": (
        TREASURERS,
        _pending,
        lambda r, actor, claim: services.expense_reject(
            actor=actor, expense=claim, reason="Not ours"
        ),
        lambda r, claim: Expense.objects.get(pk=claim.pk).status == "rejected",
    ),
    "expense_pay": (
        TREASURERS,
        _approved,
        lambda r, actor, claim: services.expense_pay(actor=actor, expense=claim),
        lambda r, claim: (
            Expense.objects.get(pk=claim.pk).status == "paid"
            and selectors.balances(r.commons) == {"EUR": 4000}
        ),
    ),
    "distribution_run": (
        TREASURERS,
        _income,
        lambda r, actor, received: services.distribution_run(
            actor=actor, commons=r.commons, income=received
        ),
        lambda r, received: Distribution.objects.filter(income=received).exists(),
    ),
    "distribution_dry_run": (
        TREASURERS,
        _income,
        lambda r, actor, received: services.distribution_run(
            actor=actor, commons=r.commons, income=received, dry_run=True
        ),
        lambda r, received: not Distribution.objects.exists(),
    ),
    "equation_adopt": (
        MAINTAINERS,
        lambda r: None,
        lambda r, actor, _: services.equation_adopt(
            actor=actor,
            commons=r.commons,
            definition=equation({"name": "all", "percent": "100", "to": "agent", "agent": "bob"}),
        ),
        lambda r, _: EquationVersion.objects.filter(commons=r.commons).count() == 1,
    ),
    "treasurer_add": (
        MAINTAINERS,
        lambda r: None,
        lambda r, actor, _: services.treasurer_add(
            actor=actor, commons=r.commons, agent=r.contributor
        ),
        lambda r, _: selectors.is_treasurer(r.contributor, r.commons),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", sorted(WRITES))
def test_ledger_writes_by_role(roles: Roles, write: str, role: str) -> None:
    allowed, setup, call, done = WRITES[write]
    actor: Agent = getattr(roles, role)
    accept(roles.maintainer, roles.commons, roles.contributor)  # someone to pay
    state = setup(roles)
    before = ledger_snapshot()
    if role in allowed:
        call(roles, actor, state)
        assert done(roles, state)
    else:
        with pytest.raises(DomainError) as caught:
            call(roles, actor, state)
        assert type(caught.value) is Forbidden
        assert caught.value.status == 403
        assert ledger_snapshot() == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("contributor", False),
        ("maintainer", True),
        ("treasurer", True),
        ("org_member", True),
        ("outsider", False),
    ],
)
def test_is_treasurer_matches_the_roles(roles: Roles, role: str, expected: bool) -> None:
    assert selectors.is_treasurer(getattr(roles, role), roles.commons) is expected
    assert selectors.is_treasurer(None, roles.commons) is False
