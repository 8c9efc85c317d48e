"""The ledger's services: exact payouts, policies, upstream shares, refusals, the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Citation, Commons
from communs.core import clock, eventlog
from communs.core.models import Event
from communs.domain import money
from communs.domain.errors import Conflict, DomainError, Forbidden, Invalid
from communs.ledger import selectors, services
from communs.ledger.models import Distribution, Expense, Income, Posting
from tests.conftest import Clock

from .conftest import (
    accept,
    contributors_bucket,
    equation,
    income,
    payouts,
)

pytestmark = pytest.mark.django_db

WORK = {"action": "work", "value": "quantity * hour"}


def wallet_in(agent: Agent, commons: Commons, currency: str) -> int:
    return sum(
        line.received
        for line in selectors.wallet(agent)
        if line.commons == commons and line.currency == currency
    )


# --- payouts are exact ------------------------------------------------------------------------


def three_bucket_equation() -> dict[str, Any]:
    return equation(
        {"name": "infra", "percent": "7", "of": "whole", "to": "agent", "agent": "dave"},
        {"name": "upstream", "percent": "10", "of": "whole", "to": "upstream"},
        contributors_bucket(WORK, name="people"),
        rates={"hour": "1"},
    )


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("EUR", "100.00"), ("EUR", "0.07"), ("JPY", "1001"), ("TND", "10.001"), ("EUR", "9999.99")],
)
@pytest.mark.parametrize("cited", [True, False], ids=["fork", "no-citation"])
def test_payouts_and_kept_add_up_to_the_income_and_move_the_treasury_exactly(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    make_person: Callable[..., Agent],
    currency: str,
    amount: str,
    cited: bool,
) -> None:
    dave, erin = make_person("dave"), make_person("erin")
    if cited:
        commons = commons_services.commons_fork(actor=bob, parent=seed_library, slug="seed-fork")
        maintainer, people = bob, [alice, carol, erin]
    else:
        commons, maintainer, people = seed_library, alice, [bob, carol, erin]
    services.equation_adopt(actor=maintainer, commons=commons, definition=three_bucket_equation())
    for person in people:
        accept(maintainer, commons, person, quantity="1")
    received = income(maintainer, commons, amount, currency)
    before = {p.name: wallet_in(p, commons, currency) for p in [*people, dave]}
    assert selectors.balance(commons, currency) == received.amount
    parent_before = selectors.balance(seed_library, currency)

    run = services.distribution_run(actor=maintainer, commons=commons, income=received)

    result = run.result
    assert sum(p.amount for p in result.payouts) + result.kept == received.amount
    assert all(p.amount > 0 for p in result.payouts)
    assert selectors.balance(commons, currency) == result.kept  # down by amount - kept
    for person in [*people, dave]:
        got = sum(p.amount for p in result.payouts if p.recipient == person.name)
        assert wallet_in(person, commons, currency) - before[person.name] == got
    upstream = sum(p.amount for p in result.payouts if p.to == "upstream")
    if cited:
        assert selectors.balance(seed_library, currency) - parent_before == upstream
        assert result.kept == 0
    else:
        assert upstream == 0
        assert result.kept == next(b.amount for b in result.buckets if b.name == "upstream")
    row = run.distribution
    assert row is not None
    assert (row.amount, row.kept, row.currency) == (received.amount, result.kept, currency)
    stored = row.transaction.postings.exclude(payout_to="")
    assert sorted((p.bucket, p.amount) for p in stored) == sorted(
        (p.bucket, p.amount) for p in result.payouts
    )
    for posting in stored:
        assert f"bucket *{posting.bucket}*" in posting.explanation
        assert posting.explanation.endswith(money.display(posting.amount, currency))


def test_hand_computed_split_with_largest_remainder_tie_break(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    make_person: Callable[..., Agent],
) -> None:
    make_person("dave")  # the infra bucket's agent
    erin = make_person("erin")
    fork = commons_services.commons_fork(actor=bob, parent=seed_library, slug="seed-fork")
    services.equation_adopt(actor=bob, commons=fork, definition=three_bucket_equation())
    for person in (erin, carol, alice):
        accept(bob, fork, person)
    run = services.distribution_run(actor=bob, commons=fork, income=income(bob, fork, "100.00"))
    # 7 % = 700, 10 % = 1000, 83 % = 8300 split 1:1:1 = 2766.67 each: the two extra cents go
    # to the equal remainders in name order.
    assert payouts(run) == {
        "dave": 700,
        "seed-library": 1000,
        "alice": 2767,
        "carol": 2767,
        "erin": 2766,
    }
    texts = {p.recipient: p.explanation for p in run.result.payouts}
    assert texts["dave"] == "fixed share: bucket *infra* (7 %) → €7.00"
    assert texts["erin"] == ("1 hour work × 1 = 1 of 3 units in bucket *people* (83 %) → €27.66")
    assert "bucket *upstream* (10 %) → €10.00" in texts["seed-library"]
    assert selectors.balances(fork) == {"EUR": 0}


# --- policies ---------------------------------------------------------------------------------


def test_immediate_counts_only_contributions_inside_the_window(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    make_person: Callable[..., Agent],
    frozen: Clock,
) -> None:
    dave = make_person("dave")
    services.equation_adopt(
        actor=alice,
        commons=seed_library,
        definition=equation(
            contributors_bucket(WORK, policy="immediate", window_days=30), rates={"hour": "1"}
        ),
    )
    now = frozen.moment
    accept(alice, seed_library, bob, quantity="10", occurred_at=now - timedelta(days=60))
    accept(alice, seed_library, carol, quantity="2", occurred_at=now - timedelta(days=1))
    accept(alice, seed_library, dave, quantity="1", occurred_at=now - timedelta(days=29))
    frozen.advance(minutes=1)

    first = services.distribution_run(
        actor=alice, commons=seed_library, income=income(alice, seed_library, "30.00")
    )
    assert payouts(first) == {"carol": 2000, "dave": 1000}  # bob's 10 h are 60 days old

    frozen.advance(days=2)  # dave's hour is now 31 days old
    second = services.distribution_run(
        actor=alice, commons=seed_library, income=income(alice, seed_library, "30.00")
    )
    assert payouts(second) == {"carol": 3000}

    frozen.advance(days=30)  # nothing left in the window: the bucket is kept
    third = services.distribution_run(
        actor=alice, commons=seed_library, income=income(alice, seed_library, "30.00")
    )
    assert payouts(third) == {}
    assert third.result.kept == 3000
    assert selectors.balances(seed_library) == {"EUR": 3000}


def test_balanced_pays_whoever_was_under_paid_so_far(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    services.equation_adopt(
        actor=alice,
        commons=seed_library,
        definition=equation(contributors_bucket(WORK, policy="balanced"), rates={"hour": "1"}),
    )
    accept(alice, seed_library, bob, quantity="3")
    accept(alice, seed_library, carol, quantity="1")

    def run(amount: str) -> dict[str, int]:
        received = income(alice, seed_library, amount)
        return payouts(
            services.distribution_run(actor=alice, commons=seed_library, income=received)
        )

    # 3 : 1 of €100.
    assert run("100.00") == {"bob": 7500, "carol": 2500}
    accept(alice, seed_library, carol, quantity="4")  # now 3 : 5
    # Pool 100 + 200 = 300: fair shares bob 112.50, carol 187.50; bob already has 75, carol 25;
    # so bob is owed 37.50 and carol 162.50 (immediate would have paid 75 and 125).
    assert run("200.00") == {"bob": 3750, "carol": 16250}
    # Pool 340: fair shares 127.50 and 212.50; paid 112.50 and 187.50 → 15 and 25.
    assert run("40.00") == {"bob": 1500, "carol": 2500}
    accept(alice, seed_library, carol, quantity="8")  # 3 : 13; bob is now over-paid
    # Pool 380: bob's fair share 71.25 < 127.50 already paid → nothing; carol gets it all.
    assert run("40.00") == {"carol": 4000}
    last = Distribution.objects.order_by("-pk").first()
    assert last is not None
    [text] = last.transaction.postings.filter(agent=carol).values_list("explanation", flat=True)
    assert "already received" in text
    assert "€212.50" in text


def test_once_claims_count_only_contributions_accepted_since_the_last_distribution(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    services.equation_adopt(
        actor=alice,
        commons=seed_library,
        definition=equation(
            contributors_bucket(
                {"action": "cite", "value": "quantity * 10", "claim": "once"},
                {"action": "work", "value": "quantity * 10", "claim": "equity"},
            )
        ),
    )
    accept(alice, seed_library, bob, action="cite", quantity="2")
    accept(alice, seed_library, carol, action="work", quantity="2")

    def run(amount: str) -> dict[str, int]:
        received = income(alice, seed_library, amount)
        return payouts(
            services.distribution_run(actor=alice, commons=seed_library, income=received)
        )

    assert run("10.00") == {"bob": 500, "carol": 500}
    assert run("10.00") == {"carol": 1000}  # bob's citations were counted once already
    accept(alice, seed_library, bob, action="cite", quantity="1")
    assert run("30.00") == {"bob": 1000, "carol": 2000}  # only the new citation counts


def test_debt_claims_stop_once_paid_off(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    services.equation_adopt(
        actor=alice,
        commons=seed_library,
        definition=equation(
            contributors_bucket(
                {"action": "transfer", "value": "quantity", "claim": "debt"},
                {"action": "work", "value": "quantity * 30", "claim": "equity"},
            )
        ),
    )
    accept(alice, seed_library, bob, action="transfer", quantity="30", unit="item")  # owed 30
    accept(alice, seed_library, carol, action="work", quantity="1")  # worth 30

    def run(amount: str) -> services.DistributionRun:
        received = income(alice, seed_library, amount)
        return services.distribution_run(actor=alice, commons=seed_library, income=received)

    first = run("40.00")
    assert payouts(first) == {"bob": 2000, "carol": 2000}
    assert {p.recipient: p.debt for p in first.result.payouts} == {"bob": 2000, "carol": 0}
    second = run("40.00")  # bob is owed €10 more: 10 : 30
    assert payouts(second) == {"bob": 1000, "carol": 3000}
    assert "still unpaid" in next(p.explanation for p in second.result.payouts)
    assert payouts(run("40.00")) == {"carol": 4000}  # paid off
    assert payouts(run("40.00")) == {"carol": 4000}
    assert wallet_in(bob, seed_library, "EUR") == 3000


# --- upstream shares --------------------------------------------------------------------------


def test_a_fork_sends_its_upstream_bucket_to_the_parent_as_an_upstream_income(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    fork = commons_services.commons_fork(actor=bob, parent=seed_library, slug="seed-fork")
    accept(bob, fork, carol, quantity="2")
    parent_events = Event.objects.filter(stream_id=eventlog.commons_stream("seed-library"))
    events_before = parent_events.count()
    run = services.distribution_run(actor=bob, commons=fork, income=income(bob, fork, "80.00"))
    assert payouts(run) == {"seed-library": 800, "carol": 7200}
    received = Income.objects.get(commons=seed_library)
    assert (received.kind, received.amount, received.currency) == ("upstream", 800, "EUR")
    assert received.source_commons == fork
    assert received.path == ["seed-fork"]
    assert received.transaction == run.distribution.transaction  # type: ignore[union-attr]
    assert selectors.balances(seed_library) == {"EUR": 800}
    assert parent_events.count() == events_before + 1
    assert parent_events.order_by("-seq")[0].body["kind"] == "income.recorded"

    # The parent distributes it in turn by its own equation; the fork is not paid back.
    accept(alice, seed_library, bob, quantity="1")
    again = services.distribution_run(actor=alice, commons=seed_library, income=received)
    assert payouts(again) == {"bob": 720}
    assert again.result.kept == 80
    assert (
        again.distribution.inputs["income"]["path"]  # type: ignore[union-attr]
        == ["seed-fork"]
    )


def drain(*commons: Commons, actor_of: dict[str, Agent], limit: int = 10) -> int:
    """Distribute every undistributed income of these commons until none is left."""
    runs = 0
    while True:
        pending = [
            (c, i) for c in commons for i in selectors.undistributed_incomes(c).order_by("pk")
        ]
        if not pending:
            return runs
        for c, i in pending:
            services.distribution_run(actor=actor_of[c.slug], commons=c, income=i)
            runs += 1
        assert runs <= limit, "upstream shares keep going round"


def test_a_citation_cycle_does_not_send_money_back(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    fork = commons_services.commons_fork(actor=bob, parent=seed_library, slug="seed-fork")
    Citation.objects.create(commons=seed_library, upstream=fork, created_at=clock.now())  # A→B→A
    accept(bob, fork, carol)
    first = services.distribution_run(actor=bob, commons=fork, income=income(bob, fork, "100.00"))
    assert payouts(first) == {"seed-library": 1000, "carol": 9000}
    upstream = selectors.undistributed_incomes(seed_library).get()
    assert upstream.path == ["seed-fork"]
    fork_incomes = Income.objects.filter(commons=fork).count()

    second = services.distribution_run(actor=alice, commons=seed_library, income=upstream)

    # seed-library cites seed-fork, but the money came from there: its upstream share is kept.
    assert payouts(second) == {}
    assert second.result.kept == 1000  # no contributors in seed-library either
    share = next(b for b in second.result.buckets if b.name == "upstream")
    assert (share.amount, share.kept) == (100, 100)
    assert "kept" in share.note
    stored = second.distribution.inputs["buckets"]  # type: ignore[union-attr]
    assert stored[0] == {"name": "upstream", "amount": 100, "kept": 100, "note": share.note}
    assert Income.objects.filter(commons=fork).count() == fork_incomes
    assert selectors.balances(fork) == {"EUR": 0}
    assert selectors.balances(seed_library) == {"EUR": 1000}
    assert drain(seed_library, fork, actor_of={"seed-library": alice, "seed-fork": bob}) == 0


def test_a_longer_cycle_ends_when_the_money_reaches_a_commons_it_passed_through(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    b = commons_services.commons_fork(actor=bob, parent=seed_library, slug="b")  # b → seed
    c = commons_services.commons_fork(actor=carol, parent=b, slug="c")  # c → b
    Citation.objects.create(commons=seed_library, upstream=c, created_at=clock.now())  # seed → c
    for commons, maintainer in ((seed_library, alice), (b, bob), (c, carol)):
        services.equation_adopt(
            actor=maintainer,
            commons=commons,
            definition=equation({"name": "upstream", "percent": "100", "to": "upstream"}),
        )
    income(alice, seed_library, "12.34")
    runs = drain(seed_library, b, c, actor_of={"seed-library": alice, "b": bob, "c": carol})
    assert runs == 3  # seed → c → b, and b may not pay seed, where the money came from
    paths = sorted((i.commons.slug, i.path) for i in Income.objects.filter(kind="upstream"))
    assert paths == [("b", ["seed-library", "c"]), ("c", ["seed-library"])]
    assert selectors.balances(b) == {"EUR": 1234}
    assert selectors.balances(seed_library) == {"EUR": 0} == selectors.balances(c)


# --- bad input: a clear refusal, nothing written -------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("-5", "EUR"),
        ("0", "EUR"),
        ("0.00", "EUR"),
        ("", "EUR"),
        ("   ", "EUR"),
        ("abc", "EUR"),
        ("1e3", "EUR"),
        ("12,50", "EUR"),
        ("+5", "EUR"),
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        ("١٢", "EUR"),
        (None, "EUR"),
        (12.5, "EUR"),
        (True, "EUR"),
        ("10000000000000000", "EUR"),
        ("1.234", "EUR"),
        ("1.5", "JPY"),
        ("1.2345", "TND"),
        ("5", "XXX"),
        ("5", "EURO"),
        ("5", ""),
        ("5", None),
        ("5", "€"),
    ],
)
def test_bad_income_amounts_and_currencies_are_refused(
    alice: Agent, seed_library: Commons, unchanged: Callable[[], Any], amount: Any, currency: Any
) -> None:
    with unchanged(), pytest.raises(Invalid) as caught:
        services.income_record(
            actor=alice, commons=seed_library, kind="donation", amount=amount, currency=currency
        )
    assert caught.value.errors
    assert set(caught.value.errors) <= {"amount", "currency"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "gift"}, "kind"),
        ({"kind": "upstream"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"kind": None}, "kind"),
        ({"kind": ["donation"]}, "kind"),
        ({"received_at": "future"}, "received_at"),
        ({"received_at": datetime(2024, 1, 1)}, "received_at"),  # naive
        ({"memo": "seeds\x00"}, "memo"),
        ({"memo": "x" * 501}, "memo"),
        ({"payer_name": "The \x00 Bank"}, "from"),
    ],
)
def test_bad_income_fields_are_refused(
    alice: Agent,
    seed_library: Commons,
    unchanged: Callable[[], Any],
    fields: dict[str, Any],
    field: str,
) -> None:
    data: dict[str, Any] = {"kind": "donation", "amount": "5", "currency": "EUR", **fields}
    if data.get("received_at") == "future":
        data["received_at"] = clock.now() + timedelta(hours=1)
    with unchanged(), pytest.raises(Invalid) as caught:
        services.income_record(actor=alice, commons=seed_library, **data)
    assert field in caught.value.errors


def test_an_income_received_in_the_past_is_recorded_with_that_date(
    alice: Agent, seed_library: Commons
) -> None:
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    row = services.income_record(
        actor=alice,
        commons=seed_library,
        kind="grant",
        amount="1.5",
        currency="TND",
        received_at=when,
    )
    assert (row.amount, row.received_at) == (1500, when)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x\x00"}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"evidence_url": "not a url"}, "evidence_url"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"evidence_url": "ftp://example.org/invoice.pdf"}, "evidence_url"),
        ({"evidence_url": "http://"}, "evidence_url"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "3.999"}, "amount"),
        ({"currency": "ZZZ"}, "currency"),
    ],
)
def test_bad_expenses_are_refused(
    bob: Agent,
    seed_library: Commons,
    unchanged: Callable[[], Any],
    fields: dict[str, Any],
    field: str,
) -> None:
    data: dict[str, Any] = {
        "amount": "30",
        "currency": "EUR",
        "description": "Server",
        "evidence_url": "https://example.org/invoice",
        **fields,
    }
    with unchanged(), pytest.raises(Invalid) as caught:
        services.expense_submit(actor=bob, commons=seed_library, **data)
    assert field in caught.value.errors


def _rule_equation(value: str, rates: dict[str, str] | None = None) -> dict[str, Any]:
    return equation(
        contributors_bucket({"action": "work", "value": value}), rates=rates or {"hour": "25"}
    )


@pytest.mark.parametrize(
    ("definition", "field", "mentions"),
    [
        (
            equation({"name": "a", "percent": "50", "to": "agent", "agent": "bob"}),
            "buckets",
            "50 %",
        ),
        (
            equation(
                {"name": "a", "percent": "60", "to": "agent", "agent": "bob"},
                {"name": "b", "percent": "50", "to": "agent", "agent": "bob"},
            ),
            "buckets[1].percent",
            "40 %",
        ),
        (
            equation({"name": "a", "percent": "100", "to": "agent", "agent": "nobody"}),
            "buckets[0].agent",
            "nobody",
        ),
        (
            equation({"name": "a", "percent": "-10", "to": "agent", "agent": "bob"}),
            "buckets[0].percent",
            "",
        ),
        (_rule_equation("__import__('os')"), "buckets[0].rules[0].value", "__import__"),
        (
            _rule_equation("__import__('os').system('true')"),
            "buckets[0].rules[0].value",
            "",
        ),
        (_rule_equation("open('/etc/passwd')"), "buckets[0].rules[0].value", "open"),
        (_rule_equation("quantity ** 2"), "buckets[0].rules[0].value", "+ - * /"),
        (_rule_equation("quantity // 2"), "buckets[0].rules[0].value", "+ - * /"),
        (_rule_equation("quantity % 2"), "buckets[0].rules[0].value", "+ - * /"),
        (_rule_equation("hour.real"), "buckets[0].rules[0].value", "hour.real"),
        (_rule_equation("quantity if hour else 1"), "buckets[0].rules[0].value", ""),
        (_rule_equation("lambda: 1"), "buckets[0].rules[0].value", ""),
        (_rule_equation("[quantity][0]"), "buckets[0].rules[0].value", ""),
        (_rule_equation("'25'"), "buckets[0].rules[0].value", "'25'"),
        (_rule_equation("salary * quantity"), "buckets[0].rules[0].value", "salary"),
        (_rule_equation("quantity / 0"), "buckets[0].rules[0].value", "Division by zero"),
        (_rule_equation("quantity / 0.0"), "buckets[0].rules[0].value", "Division by zero"),
        (_rule_equation("quantity *"), "buckets[0].rules[0].value", ""),
        (_rule_equation("quantity * hour", {"hour": "1e3"}), "rates.hour", ""),
    ],
)
def test_bad_equations_are_refused_with_the_offending_part(
    alice: Agent,
    bob: Agent,
    seed_library: Commons,
    unchanged: Callable[[], Any],
    definition: dict[str, Any],
    field: str,
    mentions: str,
) -> None:
    with unchanged(), pytest.raises(Invalid) as caught:
        services.equation_adopt(actor=alice, commons=seed_library, definition=definition)
    assert field in caught.value.errors
    assert mentions in " ".join(caught.value.errors[field])
    assert selectors.equation_current(seed_library).version == 0


def test_distributing_a_foreign_income_is_invalid(
    alice: Agent,
    carol: Agent,
    seed_library: Commons,
    other_commons: Commons,
    unchanged: Callable[[], Any],
) -> None:
    income(alice, seed_library, "50")
    foreign = income(carol, other_commons, "50")
    with unchanged(), pytest.raises(Invalid) as caught:
        services.distribution_run(actor=alice, commons=seed_library, income=foreign)
    assert "income" in caught.value.errors


def test_an_income_is_distributed_at_most_once(
    alice: Agent, bob: Agent, seed_library: Commons, unchanged: Callable[[], Any]
) -> None:
    accept(alice, seed_library, bob)
    received = income(alice, seed_library, "50")
    income(alice, seed_library, "50")  # money enough in the treasury for a second go
    services.distribution_run(actor=alice, commons=seed_library, income=received)
    for dry_run in (False, True):
        with unchanged(), pytest.raises(Conflict):
            services.distribution_run(
                actor=alice, commons=seed_library, income=received, dry_run=dry_run
            )


def test_only_money_in_the_treasury_is_distributed(
    alice: Agent, bob: Agent, seed_library: Commons, unchanged: Callable[[], Any]
) -> None:
    accept(alice, seed_library, bob)
    received = income(alice, seed_library, "100")
    claim = services.expense_submit(
        actor=bob, commons=seed_library, amount="30", currency="EUR", description="Server"
    )
    services.expense_approve(actor=alice, expense=claim)
    services.expense_pay(actor=alice, expense=claim)
    assert selectors.balances(seed_library) == {"EUR": 7000}
    with unchanged(), pytest.raises(Conflict, match="only money in the treasury"):
        services.distribution_run(actor=alice, commons=seed_library, income=received)
    with pytest.raises(Conflict):  # not even as a preview
        services.distribution_run(actor=alice, commons=seed_library, income=received, dry_run=True)


def test_expenses_cannot_overdraw_and_move_one_step_at_a_time(
    alice: Agent, bob: Agent, seed_library: Commons, unchanged: Callable[[], Any]
) -> None:
    def claim(amount: str) -> Expense:
        return services.expense_submit(
            actor=bob, commons=seed_library, amount=amount, currency="EUR", description="Hosting"
        )

    income(alice, seed_library, "100")
    too_big, first, second, other_currency = claim("100.01"), claim("60"), claim("60"), None
    with unchanged(), pytest.raises(Conflict, match="overdraw"):
        services.expense_approve(actor=alice, expense=too_big)
    with unchanged(), pytest.raises(Conflict):  # pending: not approved yet
        services.expense_pay(actor=alice, expense=first)
    services.expense_approve(actor=alice, expense=first)
    with unchanged(), pytest.raises(Conflict, match="overdraw"):  # 60 are promised already
        services.expense_approve(actor=alice, expense=second)
    other_currency = services.expense_submit(
        actor=bob, commons=seed_library, amount="1", currency="JPY", description="Stamps"
    )
    with unchanged(), pytest.raises(Conflict, match="overdraw"):  # no yen at all
        services.expense_approve(actor=alice, expense=other_currency)
    with unchanged(), pytest.raises(Conflict):  # approved already
        services.expense_approve(actor=alice, expense=first)
    with unchanged(), pytest.raises(Invalid) as caught:
        services.expense_reject(actor=alice, expense=second, reason="  ")
    assert "reason" in caught.value.errors
    services.expense_pay(actor=alice, expense=first)
    assert selectors.balances(seed_library) == {"EUR": 4000}
    assert wallet_in(bob, seed_library, "EUR") == 6000
    with unchanged(), pytest.raises(Conflict):
        services.expense_pay(actor=alice, expense=first)
    with unchanged(), pytest.raises(Conflict):
        services.expense_reject(actor=alice, expense=first, reason="Too late")
    rejected = services.expense_reject(actor=alice, expense=second, reason="Duplicate")
    assert (rejected.status, rejected.reason) == ("rejected", "Duplicate")
    with unchanged(), pytest.raises(Conflict):
        services.expense_approve(actor=alice, expense=second)
    assert selectors.balances(seed_library) == {"EUR": 4000}


def test_a_distribution_leaves_the_money_of_approved_expenses_alone(
    alice: Agent, bob: Agent, seed_library: Commons, unchanged: Callable[[], Any]
) -> None:
    accept(alice, seed_library, bob)
    received = income(alice, seed_library, "100")
    claim = services.expense_submit(
        actor=bob, commons=seed_library, amount="80", currency="EUR", description="Server"
    )
    services.expense_approve(actor=alice, expense=claim)
    with unchanged(), pytest.raises(Conflict, match=r"€20\.00 free"):
        services.distribution_run(actor=alice, commons=seed_library, income=received)
    services.expense_pay(actor=alice, expense=claim)
    assert Expense.objects.get(pk=claim.pk).status == "paid"
    assert selectors.balances(seed_library) == {"EUR": 2000}


# --- division by zero at run time -------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["quantity / zero", "min(quantity, 8) / zero", "hour / (hour - hour) * quantity"]
)
def test_a_rule_dividing_by_a_zero_rate_refuses_the_distribution(
    alice: Agent, bob: Agent, seed_library: Commons, unchanged: Callable[[], Any], value: str
) -> None:
    services.equation_adopt(
        actor=alice,
        commons=seed_library,
        definition=_rule_equation(value, {"hour": "25", "zero": "0"}),
    )
    accept(alice, seed_library, bob, quantity="2")
    received = income(alice, seed_library, "10")
    for dry_run in (True, False):
        with unchanged(), pytest.raises(DomainError) as caught:
            services.distribution_run(
                actor=alice, commons=seed_library, income=received, dry_run=dry_run
            )
        assert 400 <= caught.value.status < 500
        assert "zero" in caught.value.detail
    assert selectors.undistributed_incomes(seed_library).get() == received


# --- the public log ---------------------------------------------------------------------------


def test_every_ledger_change_appends_one_event_to_the_commons_stream(
    alice: Agent, bob: Agent, seed_library: Commons, make_person: Callable[..., Agent]
) -> None:
    dave = make_person("dave")
    fork = commons_services.commons_fork(actor=bob, parent=seed_library, slug="seed-fork")
    accept(bob, fork, dave)
    streams = {c.slug: eventlog.commons_stream(c.slug) for c in (seed_library, fork)}

    def logs(kinds: dict[str, list[str]], call: Callable[[], Any]) -> Any:
        """`call` appends exactly these events (by kind) to each commons' stream."""
        before = {s: Event.objects.filter(stream_id=n).count() for s, n in streams.items()}
        result = call()
        for slug, name in streams.items():
            new = Event.objects.filter(stream_id=name).order_by("seq")[before[slug] :]
            assert [e.body["kind"] for e in new] == kinds.get(slug, []), slug
        return result

    logs(
        {"seed-fork": ["treasurer.added"]},
        lambda: services.treasurer_add(actor=bob, commons=fork, agent=dave),
    )
    logs(
        {"seed-fork": ["rulebook.amended", "value_equation.adopted"]},
        lambda: services.equation_adopt(
            actor=bob, commons=fork, definition=three_bucket_equation()
        ),
    )
    received = logs({"seed-fork": ["income.recorded"]}, lambda: income(dave, fork, "100"))
    claim = logs(
        {"seed-fork": ["expense.submitted"]},
        lambda: services.expense_submit(
            actor=alice, commons=fork, amount="5", currency="EUR", description="Domain name"
        ),
    )
    refused = services.expense_submit(
        actor=alice, commons=fork, amount="5", currency="EUR", description="Twice"
    )
    logs(
        {"seed-fork": ["expense.approved"]},
        lambda: services.expense_approve(actor=dave, expense=claim),
    )
    logs({"seed-fork": ["expense.paid"]}, lambda: services.expense_pay(actor=dave, expense=claim))
    logs(
        {"seed-fork": ["expense.rejected"]},
        lambda: services.expense_reject(actor=dave, expense=refused, reason="Duplicate"),
    )
    income(dave, fork, "5")  # the expense took 5 of the 100 to distribute
    logs(  # a dry run changes nothing and logs nothing
        {},
        lambda: services.distribution_run(actor=dave, commons=fork, income=received, dry_run=True),
    )
    logs(
        {"seed-fork": ["distribution.made"], "seed-library": ["income.recorded"]},
        lambda: services.distribution_run(actor=dave, commons=fork, income=received),
    )
    made = Event.objects.filter(stream_id=streams["seed-fork"], body__kind="distribution.made")
    body = made.get().body["data"]
    assert (body["amount"], body["currency"], body["payouts"]) == ("100.00", "EUR", 3)
    assert eventlog.verify().ok


# --- postings are append-only in the database -------------------------------------------------


def _try(statement: Callable[[], object]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement()


def _raw(sql: str) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    return run


def test_postings_cannot_be_updated_or_deleted(alice: Agent, seed_library: Commons) -> None:
    income(alice, seed_library, "12.50")
    rows = list(Posting.objects.order_by("pk").values_list("pk", "account", "amount"))
    assert len(rows) == 2
    posting = Posting.objects.get(account="treasury")
    table = Posting._meta.db_table

    _try(lambda: Posting.objects.filter(pk=posting.pk).update(amount=1))
    _try(lambda: Posting.objects.update(explanation="rewritten"))
    _try(lambda: Posting.objects.filter(pk=posting.pk).delete())
    _try(lambda: Posting.objects.all().delete())
    _try(posting.delete)
    posting.amount = 99999
    _try(posting.save)
    _try(_raw(f"UPDATE {table} SET amount = amount * 2"))  # noqa: S608
    _try(_raw(f"DELETE FROM {table}"))  # noqa: S608

    assert list(Posting.objects.order_by("pk").values_list("pk", "account", "amount")) == rows
    assert selectors.balances(seed_library) == {"EUR": 1250}


def test_nobody_decides_on_their_own_expense_claim(
    alice: Agent, seed_library: Commons, unchanged: Callable[[], Any]
) -> None:
    income(alice, seed_library, "100")
    own = services.expense_submit(
        actor=alice, commons=seed_library, amount="10", currency="EUR", description="Domain name"
    )
    with unchanged():
        with pytest.raises(Forbidden, match="own expense"):
            services.expense_approve(actor=alice, expense=own)
        with pytest.raises(Forbidden, match="own expense"):
            services.expense_reject(actor=alice, expense=own, reason="mine")
