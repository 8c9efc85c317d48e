"""Two requests at once (PostgreSQL only: SQLite has one writer, so nothing can interleave).

Each thread has its own database connection. The balance read is slowed down, so that without
the treasury's row lock both requests would read the same balance and both would write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.domain.errors import Conflict
from communs.ledger import selectors, services
from communs.ledger.models import Distribution, Expense, Posting

from .conftest import accept, income

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_balance(monkeypatch: pytest.MonkeyPatch) -> None:
    real = selectors.balance

    def balance(commons: Commons, currency: str) -> int:
        value = real(commons, currency)
        time.sleep(0.3)  # the other request has time to read the same balance, if it can
        return value

    monkeypatch.setattr(selectors, "balance", balance)


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment, each on its own connection; their results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


def test_one_income_distributed_twice_at_once_is_distributed_once(
    requires_postgres: None,
    slow_balance: None,
    alice: Agent,
    bob: Agent,
    seed_library: Commons,
) -> None:
    accept(alice, seed_library, bob)
    received = income(alice, seed_library, "100.00")
    income(alice, seed_library, "100.00")  # enough money for two runs, if both got through

    results = race(
        *[
            lambda: services.distribution_run(actor=alice, commons=seed_library, income=received)
            for _ in range(2)
        ]
    )

    conflicts = [r for r in results if isinstance(r, Conflict)]
    runs = [r for r in results if isinstance(r, services.DistributionRun)]
    assert (len(runs), len(conflicts)) == (1, 1), results
    assert Distribution.objects.filter(income=received).count() == 1
    assert Posting.objects.filter(transaction__kind="distribution", agent=bob).count() == 1
    assert selectors.balances(seed_library) == {"EUR": 20000 - 9000}


@pytest.mark.django_db(transaction=True)
def test_two_expenses_approved_at_once_never_overcommit(
    requires_postgres: None,
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Approval reserves treasury money (a distribution cannot take it, payment is then
    certain), so approval is where two requests could overcommit: 100 in the treasury, two
    claims of 60 approved at once."""
    income(alice, seed_library, "100")
    claims = [
        services.expense_submit(
            actor=person, commons=seed_library, amount="60", currency="EUR", description="Server"
        )
        for person in (bob, carol)
    ]
    real = selectors.balance

    def slow(commons: Commons, currency: str) -> int:
        value = real(commons, currency)
        time.sleep(0.3)
        return value

    monkeypatch.setattr(selectors, "balance", slow)
    results = race(
        *[lambda c=claim: services.expense_approve(actor=alice, expense=c) for claim in claims]
    )
    approved = [r for r in results if isinstance(r, Expense)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(approved), len(conflicts)) == (1, 1), results
    assert sorted(Expense.objects.values_list("status", flat=True)) == ["approved", "pending"]
    services.expense_pay(actor=alice, expense=approved[0])
    assert selectors.balances(seed_library) == {"EUR": 4000}
