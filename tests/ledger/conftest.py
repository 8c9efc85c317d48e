"""Helpers shared by the ledger's service tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons, Contribution
from communs.core.models import Event
from communs.ledger import selectors, services
from communs.ledger.models import (
    Distribution,
    EquationVersion,
    Expense,
    Income,
    Posting,
    Transaction,
    Treasurer,
)


def accept(
    maintainer: Agent,
    commons: Commons,
    contributor: Agent,
    action: str = "work",
    quantity: str = "1",
    unit: str | None = None,
    occurred_at: datetime | None = None,
) -> Contribution:
    """Submit a contribution and have a maintainer accept it."""
    row = commons_services.contribution_submit(
        actor=contributor,
        commons=commons,
        action=action,
        quantity=quantity,
        unit=unit,
        description=f"{action} {quantity}",
        occurred_at=occurred_at,
    )
    return commons_services.contribution_accept(actor=maintainer, contribution=row)


def contributors_bucket(
    *rules: dict[str, Any],
    policy: str = "immediate",
    percent: str = "100",
    of: str = "remaining",
    name: str = "contributors",
    window_days: int = 365,
) -> dict[str, Any]:
    return {
        "name": name,
        "percent": percent,
        "of": of,
        "to": "contributors",
        "policy": policy,
        "window_days": window_days,
        "rules": list(rules),
    }


def equation(*buckets: dict[str, Any], rates: dict[str, str] | None = None) -> dict[str, Any]:
    return {"rates": rates or {}, "buckets": list(buckets)}


def income(actor: Agent, commons: Commons, amount: str, currency: str = "EUR") -> Income:
    return services.income_record(
        actor=actor, commons=commons, kind="donation", amount=amount, currency=currency
    )


def payouts(run: services.DistributionRun) -> dict[str, int]:
    return {p.recipient: p.amount for p in run.result.payouts}


def ledger_snapshot() -> tuple[Any, ...]:
    """Everything the ledger and the event log hold, to prove a refusal wrote nothing."""
    return (
        Transaction.objects.count(),
        list(Posting.objects.order_by("pk").values_list("pk", "amount", "currency")),
        Income.objects.count(),
        list(Expense.objects.order_by("pk").values_list("pk", "status", "reason", "transaction")),
        EquationVersion.objects.count(),
        Distribution.objects.count(),
        Treasurer.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """`with unchanged(): ...` asserts the block leaves every ledger table and the log as is."""
    from contextlib import contextmanager

    @contextmanager
    def check() -> Iterator[None]:
        before = ledger_snapshot()
        yield
        assert ledger_snapshot() == before

    return check


@dataclass
class Roles:
    """One commons and an agent in each role the ledger distinguishes."""

    commons: Commons
    maintainer: Agent  # alice
    contributor: Agent  # bob, no role
    treasurer: Agent  # dave, named treasurer
    org_member: Agent  # erin, plain member of the association named treasurer
    outsider: Agent  # carol, maintainer of another commons


@pytest.fixture
def roles(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    other_commons: Commons,
    make_person: Callable[..., Agent],
) -> Roles:
    dave, erin, frank = make_person("dave"), make_person("erin"), make_person("frank")
    association = accounts.organisation_create(
        actor=frank, name="assoc", display_name="Infra association", kind="nonprofit"
    )
    accounts.membership_add(actor=frank, organisation=association, person=erin, role="member")
    services.treasurer_add(actor=alice, commons=seed_library, agent=dave)
    services.treasurer_add(actor=alice, commons=seed_library, agent=association)
    return Roles(seed_library, alice, bob, dave, erin, carol)


def balances(commons: Commons) -> dict[str, int]:
    return selectors.balances(commons)
