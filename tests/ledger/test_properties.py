"""Property: whatever the ledger is asked, in any order, money is conserved.

A hypothesis state machine records incomes in EUR, JPY and TND, submits, approves, rejects and
pays expenses, adopts equations and distributes incomes (upstream shares included) in two
commons, one citing the other, against the real database. It keeps its own model of every
treasury and wallet and checks, after every step, that:

- each transaction's postings sum to zero per currency, and so does the whole ledger
  (external + treasuries + wallets), per currency;
- each treasury holds exactly its incomes - what its distributions paid out - its paid
  expenses, as the model predicts, and never less than zero;
- each wallet holds what the model says it received;
- each income is distributed at most once.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import eventlog
from communs.domain import equations, money
from communs.domain.errors import Conflict
from communs.ledger import selectors, services
from communs.ledger.models import Distribution, Expense, Income, Posting

from .conftest import ledger_snapshot

pytestmark = pytest.mark.django_db

CURRENCIES = ["EUR", "JPY", "TND"]
SLUGS = ["seed-library", "seed-fork"]
KINDS = ["donation", "sponsorship", "licence_fee", "grant", "sale"]
WORK = {"action": "work", "value": "quantity * hour", "claim": "equity"}
CITE = {"action": "cite", "value": "quantity * citation", "claim": "once"}
TRANSFER = {"action": "transfer", "value": "quantity", "claim": "debt"}
EQUATIONS: list[dict[str, Any]] = [
    equations.DEFAULT_DEFINITION,
    {
        "rates": {"hour": "25", "citation": "7"},
        "buckets": [
            {"name": "infra", "percent": "5", "of": "whole", "to": "agent", "agent": "dave"},
            {"name": "upstream", "percent": "33.3", "of": "whole", "to": "upstream"},
            {
                "name": "people",
                "percent": "100",
                "of": "remaining",
                "to": "contributors",
                "policy": "balanced",
                "rules": [WORK, CITE, TRANSFER],
            },
        ],
    },
    {
        "rates": {"hour": "3", "citation": "1"},
        "buckets": [
            {
                "name": "recent",
                "percent": "50",
                "of": "whole",
                "to": "contributors",
                "policy": "immediate",
                "window_days": 30,
                "rules": [WORK, CITE],
            },
            {"name": "upstream", "percent": "100", "of": "remaining", "to": "upstream"},
        ],
    },
]


class Ledger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # rolled back in teardown: each example starts afresh
        people = {
            name: accounts.user_create(
                username=name, email=f"{name}@example.org", password="a-long-test-passphrase"
            )
            for name in ("alice", "bob", "carol", "dave")
        }
        self.people: dict[str, Agent] = people
        seed = commons_services.commons_create(
            actor=people["alice"], slug="seed-library", title="Seeds"
        )
        fork = commons_services.commons_fork(actor=people["bob"], parent=seed, slug="seed-fork")
        self.commons: dict[str, Commons] = {"seed-library": seed, "seed-fork": fork}
        self.keeper = {"seed-library": people["alice"], "seed-fork": people["bob"]}
        for commons, maintainer, contributor, action, quantity, unit in [
            (seed, "alice", "bob", "work", "3", "hour"),
            (seed, "alice", "carol", "work", "1.5", "hour"),
            (seed, "alice", "dave", "transfer", "4", "item"),
            (fork, "bob", "carol", "work", "2", "hour"),
            (fork, "bob", "dave", "cite", "1", "citation"),
        ]:
            row = commons_services.contribution_submit(
                actor=people[contributor],
                commons=commons,
                action=action,
                quantity=quantity,
                unit=unit,
                description="seed work",
            )
            commons_services.contribution_accept(actor=people[maintainer], contribution=row)
        # The model.
        self.treasury: dict[tuple[str, str], int] = defaultdict(int)
        self.wallet: dict[tuple[str, str], int] = defaultdict(int)
        self.incomes: list[int] = []
        self.distributed: set[int] = set()
        self.expenses: list[int] = []
        self.status: dict[int, str] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- rules ---------------------------------------------------------------------------------

    def _ids(self, status: str) -> list[int]:
        return [pk for pk in self.expenses if self.status[pk] == status]

    def _expense(self, pk: int) -> Expense:
        return Expense.objects.select_related("commons", "claimant").get(pk=pk)

    def _funded(self) -> list[tuple[str, str]]:
        return sorted(key for key, held in self.treasury.items() if held > 0)

    def _fresh(self) -> list[int]:
        return [pk for pk in self.incomes if pk not in self.distributed]

    def _committed(self, where: str, currency: str) -> int:
        """Approved, not yet paid."""
        rows = Expense.objects.filter(
            pk__in=self._ids("approved"), commons=self.commons[where], currency=currency
        )
        return sum(rows.values_list("amount", flat=True))

    @initialize(where=st.sampled_from(SLUGS), minor=st.integers(1, 10**6))
    def first_income(self, where: str, minor: int) -> None:
        self.record_income(where, "EUR", minor, "donation")

    @rule(
        where=st.sampled_from(SLUGS),
        currency=st.sampled_from(CURRENCIES),
        minor=st.integers(1, 10**7),
        kind=st.sampled_from(KINDS),
    )
    def record_income(self, where: str, currency: str, minor: int, kind: str) -> None:
        row = services.income_record(
            actor=self.keeper[where],
            commons=self.commons[where],
            kind=kind,
            amount=money.format_amount(minor, currency),
            currency=currency,
        )
        assert (row.amount, row.currency) == (minor, currency)
        self.treasury[where, currency] += minor
        self.incomes.append(row.pk)

    def _submit(self, where: str, currency: str, minor: int, claimant: str) -> Expense:
        row = services.expense_submit(
            actor=self.people[claimant],
            commons=self.commons[where],
            amount=money.format_amount(minor, currency),
            currency=currency,
            description="hosting",
        )
        self.expenses.append(row.pk)
        self.status[row.pk] = "pending"
        return row

    @rule(
        where=st.sampled_from(SLUGS),
        currency=st.sampled_from(CURRENCIES),
        minor=st.integers(1, 10**6),
        claimant=st.sampled_from(["carol", "dave"]),
    )
    def submit_expense(self, where: str, currency: str, minor: int, claimant: str) -> None:
        self._submit(where, currency, minor, claimant)

    @precondition(lambda self: self._funded())
    @rule(data=st.data(), percent=st.integers(1, 150), pay=st.booleans())
    def spend(self, data: st.DataObject, percent: int, pay: bool) -> None:
        """Claim `percent` % of what a treasury has not promised yet, approve it, maybe pay it
        (or leave it approved, for a distribution to drain the treasury first)."""
        where, currency = data.draw(st.sampled_from(self._funded()))
        free = self.treasury[where, currency] - self._committed(where, currency)
        claim = self._submit(where, currency, max(1, free * percent // 100), "carol")
        self._step("approve", claim)
        if pay:
            self._step("pay", claim)

    @precondition(lambda self: self.expenses)
    @rule(data=st.data(), step=st.sampled_from(["approve", "pay", "reject"]))
    def expense_step(self, data: st.DataObject, step: str) -> None:
        """Mostly a step the expense is ready for; sometimes any (which must be refused)."""
        ready = self._ids({"approve": "pending", "pay": "approved", "reject": "pending"}[step])
        pool = ready if ready and data.draw(st.integers(0, 3)) else self.expenses
        self._step(step, self._expense(data.draw(st.sampled_from(pool))))

    def _step(self, step: str, expense: Expense) -> None:
        where, currency, status = expense.commons.slug, expense.currency, self.status[expense.pk]
        actor = self.keeper[where]
        if step == "approve":
            free = self.treasury[where, currency] - self._committed(where, currency)
            ok = status == "pending" and expense.amount <= free
            self._expect(ok, lambda: services.expense_approve(actor=actor, expense=expense))
            if ok:
                self.status[expense.pk] = "approved"
        elif step == "pay":
            ok = status == "approved" and expense.amount <= self.treasury[where, currency]
            self._expect(ok, lambda: services.expense_pay(actor=actor, expense=expense))
            if ok:
                self.status[expense.pk] = "paid"
                self.treasury[where, currency] -= expense.amount
                self.wallet[expense.claimant.name, currency] += expense.amount
        else:
            ok = status == "pending"
            self._expect(
                ok,
                lambda: services.expense_reject(actor=actor, expense=expense, reason="not ours"),
            )
            if ok:
                self.status[expense.pk] = "rejected"

    @rule(where=st.sampled_from(SLUGS), index=st.integers(0, len(EQUATIONS) - 1))
    def adopt_equation(self, where: str, index: int) -> None:
        services.equation_adopt(
            actor=self.keeper[where], commons=self.commons[where], definition=EQUATIONS[index]
        )

    @precondition(lambda self: self._fresh())
    @rule(data=st.data(), dry_run=st.sampled_from([False, False, True]))
    def distribute(self, data: st.DataObject, dry_run: bool) -> None:
        received = Income.objects.select_related("commons").get(
            pk=data.draw(st.sampled_from(self._fresh()))
        )
        where, currency = received.commons.slug, received.currency
        # Only free money is distributed: the balance less what approved expenses will take.
        ok = received.amount <= self.treasury[where, currency] - self._committed(where, currency)
        before = ledger_snapshot()
        run = self._expect(
            ok,
            lambda: services.distribution_run(
                actor=self.keeper[where], commons=received.commons, income=received, dry_run=dry_run
            ),
        )
        if not ok:
            return
        result = run.result
        assert sum(p.amount for p in result.payouts) + result.kept == received.amount
        assert all(p.amount > 0 for p in result.payouts)
        if dry_run:
            assert run.distribution is None
            assert ledger_snapshot() == before
            return
        self.distributed.add(received.pk)
        self.treasury[where, currency] -= received.amount - result.kept
        for payout in result.payouts:
            if payout.to == equations.Target.UPSTREAM:
                self.treasury[payout.recipient, currency] += payout.amount
            else:
                self.wallet[payout.recipient, currency] += payout.amount
        arrived = Income.objects.filter(
            transaction=run.distribution.transaction  # type: ignore[union-attr]
        ).order_by("pk")
        for upstream in arrived:
            assert upstream.kind == "upstream"
            assert upstream.path == [*received.path, where]
            assert upstream.commons.slug not in upstream.path
            self.incomes.append(upstream.pk)
        # The money promised to approved expenses is still there: paying one must succeed.
        promised = Expense.objects.filter(
            pk__in=self._ids("approved"), commons=received.commons, currency=currency
        ).select_related("commons", "claimant")
        if promised and data.draw(st.booleans()):
            self._step("pay", data.draw(st.sampled_from(list(promised))))

    @precondition(lambda self: self.distributed)
    @rule(data=st.data(), dry_run=st.booleans())
    def distribute_again(self, data: st.DataObject, dry_run: bool) -> None:
        received = Income.objects.select_related("commons").get(
            pk=data.draw(st.sampled_from(sorted(self.distributed)))
        )
        self._expect(
            False,
            lambda: services.distribution_run(
                actor=self.keeper[received.commons.slug],
                commons=received.commons,
                income=received,
                dry_run=dry_run,
            ),
        )

    def _expect(self, ok: bool, call: Any) -> Any:
        """Run `call`: it must succeed when the model says so, else be a Conflict that writes
        nothing."""
        if ok:
            return call()
        before = ledger_snapshot()
        with pytest.raises(Conflict):
            call()
        assert ledger_snapshot() == before
        return None

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def every_transaction_balances_per_currency(self) -> None:
        unbalanced = (
            Posting.objects.values("transaction", "currency")
            .annotate(total=Sum("amount"))
            .exclude(total=0)
        )
        assert list(unbalanced) == []
        world = Posting.objects.values("currency").annotate(total=Sum("amount")).exclude(total=0)
        assert list(world) == []  # external + treasuries + wallets

    @invariant()
    def treasuries_match_incomes_payouts_and_expenses(self) -> None:
        for slug, commons in self.commons.items():
            actual = selectors.balances(commons)
            expected = {c: self.treasury[slug, c] for c in CURRENCIES if self.treasury[slug, c]}
            assert {c: v for c, v in actual.items() if v} == expected
            assert all(v >= 0 for v in actual.values())
            for currency in CURRENCIES:
                incomes = Income.objects.filter(commons=commons, currency=currency)
                paid_out = Distribution.objects.filter(commons=commons, currency=currency)
                spent = Expense.objects.filter(commons=commons, currency=currency, status="paid")
                total = (
                    sum(incomes.values_list("amount", flat=True))
                    - sum(d.amount - d.kept for d in paid_out)
                    - sum(spent.values_list("amount", flat=True))
                )
                assert total == actual.get(currency, 0)

    @invariant()
    def wallets_hold_what_they_were_paid(self) -> None:
        rows = (
            Posting.objects.filter(account="wallet")
            .values_list("agent__name", "currency")
            .annotate(total=Sum("amount"))
        )
        assert {(n, c): t for n, c, t in rows} == {k: v for k, v in self.wallet.items() if v}

    @invariant()
    def the_log_verifies(self) -> None:
        assert eventlog.verify().ok

    @invariant()
    def each_income_is_distributed_at_most_once(self) -> None:
        counts = Distribution.objects.values("income").annotate(n=Count("id"))
        assert all(row["n"] == 1 for row in counts)
        assert {row["income"] for row in counts} == self.distributed


def test_money_is_conserved_whatever_the_ledger_is_asked(db: None) -> None:
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
