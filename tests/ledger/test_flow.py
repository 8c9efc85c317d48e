"""The ledger's main path: income in, equation, distribution out, exactly."""

from __future__ import annotations

import pytest

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import eventlog
from communs.ledger import selectors, services
from communs.ledger.models import Posting

pytestmark = pytest.mark.django_db


def accepted(maintainer: Agent, commons: Commons, contributor: Agent, **fields: object) -> None:
    contribution = commons_services.contribution_submit(
        actor=contributor, commons=commons, description="Seed work", **fields
    )
    commons_services.contribution_accept(actor=maintainer, contribution=contribution)


def test_income_is_distributed_exactly_by_the_equation(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    accepted(alice, seed_library, bob, action="work", quantity="12", unit="hour")
    accepted(alice, seed_library, carol, action="work", quantity="4", unit="hour")
    income = services.income_record(
        actor=alice,
        commons=seed_library,
        kind="grant",
        amount="100.00",
        currency="EUR",
        payer_name="City of Riverside",
    )
    assert selectors.balances(seed_library) == {"EUR": 10000}

    dry = services.distribution_run(actor=alice, commons=seed_library, income=income, dry_run=True)
    assert dry.distribution is None
    assert selectors.balances(seed_library) == {"EUR": 10000}

    run = services.distribution_run(actor=alice, commons=seed_library, income=income)
    amounts = {p.recipient: p.amount for p in run.result.payouts}
    # Default equation: 10 % upstream (nothing cited: kept), 90 % to contributors, 300 : 100.
    assert amounts == {"bob": 6750, "carol": 2250}
    assert run.result.kept == 1000
    assert "12 hour work × 25 = 300" in next(
        p.explanation for p in run.result.payouts if p.recipient == "bob"
    )
    assert selectors.balances(seed_library) == {"EUR": 1000}
    assert [(w.commons.slug, w.currency, w.received) for w in selectors.wallet(bob)] == [
        ("seed-library", "EUR", 6750)
    ]
    for txn_postings in _by_transaction():
        assert sum(txn_postings) == 0
    assert eventlog.verify().ok


def _by_transaction() -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for txn, amount in Posting.objects.values_list("transaction", "amount"):
        groups.setdefault(txn, []).append(amount)
    return list(groups.values())


def test_upstream_share_reaches_the_cited_commons(
    alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    fork = commons_services.commons_fork(actor=bob, parent=seed_library, slug="seed-fork")
    income = services.income_record(
        actor=bob, commons=fork, kind="donation", amount="50", currency="EUR"
    )
    run = services.distribution_run(actor=bob, commons=fork, income=income)
    assert [(p.recipient, p.amount) for p in run.result.payouts] == [("seed-library", 500)]
    upstream = selectors.undistributed_incomes(seed_library).get()
    assert (upstream.kind, upstream.amount, upstream.path) == ("upstream", 500, ["seed-fork"])
    assert selectors.balances(seed_library) == {"EUR": 500}
    assert selectors.balances(fork) == {"EUR": 4500}


def test_preview_shows_gains_and_losses_under_a_proposed_equation(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    from communs.domain.equations import parse_equation

    accepted(alice, seed_library, bob, action="work", quantity="10", unit="hour")
    accepted(alice, seed_library, carol, action="produce", quantity="10", unit="page")
    income = services.income_record(
        actor=alice, commons=seed_library, kind="sale", amount="90", currency="EUR"
    )
    services.distribution_run(actor=alice, commons=seed_library, income=income)
    # Pages now weigh as much as hours.
    proposed = parse_equation(
        {
            "rates": {"hour": "25", "page": "25"},
            "buckets": [
                {
                    "name": "contributors",
                    "percent": "100",
                    "of": "whole",
                    "to": "contributors",
                    "policy": "immediate",
                    "window_days": 365,
                    "rules": [
                        {"action": "work", "value": "quantity * hour"},
                        {"action": "produce", "value": "quantity * page"},
                    ],
                }
            ],
        }
    )
    [preview] = selectors.equation_preview(seed_library, proposed, last=5)
    rows = {r.recipient: (r.actual, r.proposed) for r in preview.rows}
    # Default: 10 % kept (no upstream), 90 % split 250 : 100. Proposed: 100 % split 1 : 1.
    assert rows == {"bob": (5786, 4500), "carol": (2314, 4500)}
