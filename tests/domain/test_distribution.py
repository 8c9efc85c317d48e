"""Distribution: exact to the minor unit, deterministic, fair as the equation says, explained."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from itertools import permutations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain import distribution as d
from communs.domain import equations as eq
from communs.domain.distribution import Scope, Tally, distribute, largest_remainder

# ---- largest remainder ----

KEYS = st.text(alphabet="abcxyz019", min_size=1, max_size=4)
WEIGHTS = st.one_of(
    st.integers(0, 10**9),
    st.fractions(min_value=0, max_value=10**6, max_denominator=10**4),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
)


@settings(max_examples=200)
@given(
    st.integers(0, 10**12), st.dictionaries(KEYS, WEIGHTS, min_size=1, max_size=12), st.randoms()
)
def test_largest_remainder_is_exact_close_and_deterministic(
    total: int, weights: dict[str, Any], rnd: random.Random
) -> None:
    exact = {k: Fraction(w) for k, w in weights.items()}
    whole = sum(exact.values())
    if whole == 0:
        with pytest.raises(ValueError, match="zero"):
            largest_remainder(total, weights)
        return
    shares = largest_remainder(total, weights)
    assert set(shares) == set(weights)
    assert sum(shares.values()) == total
    for key, share in shares.items():
        assert type(share) is int
        ideal = total * exact[key] / whole
        assert abs(share - ideal) < 1
        assert share in (int(ideal), int(ideal) + 1)
        if exact[key] == 0:
            assert share == 0
    items = list(weights.items())
    rnd.shuffle(items)
    assert largest_remainder(total, dict(items)) == shares


def test_largest_remainder_breaks_ties_by_key_text() -> None:
    assert largest_remainder(2, {"b": 1, "c": 1, "a": 1}) == {"a": 1, "b": 1, "c": 0}
    assert largest_remainder(1, {"c": 1, "b": 1}) == {"b": 1, "c": 0}
    assert largest_remainder(1, {9: 1, 10: 1}) == {9: 0, 10: 1}  # "10" < "9" as text
    assert largest_remainder(100, {"x": 1, "y": 2}) == {"x": 33, "y": 67}
    # the larger remainder wins before the key order is looked at
    assert largest_remainder(1, {"a": Fraction(1, 3), "b": Fraction(2, 3)}) == {"a": 0, "b": 1}
    assert largest_remainder(0, {"a": 1}) == {"a": 0}


@pytest.mark.parametrize(
    ("total", "weights", "match"),
    [
        (10, {"a": -1, "b": 2}, "negative"),
        (10, {"a": 0, "b": 0}, "zero"),
        (10, {}, "zero"),
        (-1, {"a": 1}, "negative"),
        (10, {"a": Fraction(-1, 2), "b": 1}, "negative"),
    ],
)
def test_largest_remainder_refuses(total: int, weights: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        largest_remainder(total, weights)


# ---- equations and inputs, generated ----

AGENTS = ["ann", "bob", "cy", "dee", "eve"]
RATES = {"hour": "25", "item": "1", "citation": "50", "use": "0.5"}
RULES: list[dict[str, str]] = [
    {"action": "work", "value": "quantity * hour", "claim": "equity"},
    {"action": "work", "value": "min(quantity, 8) * hour", "claim": "equity"},
    {"action": "produce", "unit": "line", "value": "quantity / 100", "claim": "equity"},
    {"action": "produce", "value": "quantity * 10 + 1", "claim": "equity"},
    {"action": "cite", "value": "quantity * citation", "claim": "once"},
    {"action": "transfer", "value": "quantity * item", "claim": "debt"},
    {"action": "use", "value": "quantity * use - 1", "claim": "equity"},  # can go negative
    {"action": "deliverService", "value": "max(quantity, 2) * hour", "claim": "debt"},
]
PAIRS = [
    ("work", "hour"),
    ("produce", "line"),
    ("produce", "commit"),
    ("cite", "citation"),
    ("transfer", "item"),
    ("transfer", "kg"),
    ("use", "day"),
    ("deliverService", "session"),
]
PERCENT = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@st.composite
def equations(draw: st.DrawFn) -> eq.Equation:
    left = Fraction(1)
    buckets: list[dict[str, Any]] = []
    count = draw(st.integers(1, 4))
    for i in range(count):
        to = draw(st.sampled_from(["agent", "upstream", "contributors", "contributors"]))
        if i == count - 1:
            of, percent = "remaining", Decimal(100)
        else:
            of = draw(st.sampled_from(["whole", "remaining"]))
            percent = draw(PERCENT)
            if of == "whole":
                percent = min(percent, Decimal(int(left * 10000)) / 100)
        left -= Fraction(percent) / 100 * (left if of == "remaining" else 1)
        bucket: dict[str, Any] = {"name": f"b{i}", "percent": str(percent), "of": of, "to": to}
        if to == "agent":
            bucket["agent"] = "fund"
        if to == "contributors":
            bucket["policy"] = draw(st.sampled_from(["immediate", "balanced"]))
            bucket["rules"] = draw(st.lists(st.sampled_from(RULES), min_size=1, max_size=5))
        buckets.append(bucket)
    return eq.parse_equation({"rates": RATES, "buckets": buckets})


@st.composite
def tallies_for(draw: st.DrawFn, equation: eq.Equation) -> list[Tally]:
    rows = d.row_actions(equation)
    tallies = []
    for _ in range(draw(st.integers(0, 12))):
        action, unit = draw(st.sampled_from(PAIRS))
        per_row = action in rows or draw(st.booleans())
        tallies.append(
            Tally(
                agent=draw(st.sampled_from(AGENTS)),
                action=action,
                unit=unit,
                quantity=draw(st.decimals(min_value=0, max_value=10**4, places=4)),
                count=draw(st.integers(1, 5)),
                scope=draw(st.sampled_from(list(Scope))),
                per_row=per_row,
            )
        )
    return tallies


MONEY = st.integers(0, 10**9)


@st.composite
def inputs(draw: st.DrawFn) -> dict[str, Any]:
    equation = draw(equations())
    slugs = draw(st.lists(st.sampled_from(["up-a", "up-b", "up-c", "up-d"]), unique=True))
    return {
        "amount": draw(st.integers(0, 10**12)),
        "currency": draw(st.sampled_from(["EUR", "JPY", "TND"])),
        "equation": equation,
        "tallies": draw(tallies_for(equation)),
        "paid": draw(st.dictionaries(st.sampled_from(AGENTS), MONEY)),
        "debt_paid": draw(st.dictionaries(st.sampled_from(AGENTS), MONEY)),
        "upstreams": [(slug, draw(st.integers(0, 10**6))) for slug in slugs],
    }


def reordered(args: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """The same inputs, in another order: tallies shuffled, mappings in another insertion order."""

    def shuffled(items: list[Any]) -> list[Any]:
        items = list(items)
        rnd.shuffle(items)
        return items

    return {
        **args,
        "tallies": shuffled(args["tallies"]),
        "paid": dict(shuffled(list(args["paid"].items()))),
        "debt_paid": dict(shuffled(list(args["debt_paid"].items()))),
        "upstreams": shuffled(args["upstreams"]),
    }


@settings(max_examples=200, deadline=None)
@given(inputs(), st.randoms())
def test_distribution_is_exact_bounded_and_deterministic(
    args: dict[str, Any], rnd: random.Random
) -> None:
    result = distribute(**args)
    amount = args["amount"]
    assert result.amount == amount
    assert sum(p.amount for p in result.payouts) + result.kept == amount
    assert all(0 < p.amount <= amount for p in result.payouts)
    assert 0 <= result.kept <= amount
    # each bucket gets its share, and its payouts plus what it keeps make exactly that share
    shares = largest_remainder(amount, dict(enumerate(args["equation"].fractions())))
    assert [b.amount for b in result.buckets] == [shares[i] for i in range(len(shares))]
    per_bucket: dict[str, int] = defaultdict(int)
    for payout in result.payouts:
        per_bucket[payout.bucket] += payout.amount
        assert 0 <= payout.debt <= payout.amount
        assert payout.explanation
    for bucket in result.buckets:
        assert per_bucket[bucket.name] + bucket.kept == bucket.amount
    # one payout per recipient and bucket
    assert len({(p.bucket, p.recipient) for p in result.payouts}) == len(result.payouts)
    # the same inputs give the same result, whatever their order
    assert repr(distribute(**args)) == repr(result)
    assert repr(distribute(**reordered(args, rnd))) == repr(result)


def test_tally_order_does_not_change_the_values() -> None:
    """Regression: Decimal sums round, so adding per-row values (here thirds) in the caller's
    order gave two different values for the same inputs."""
    equation = contributors_only("quantity / 3")
    tallies = [
        Tally("ann", "work", "hour", Decimal(q), 1, Scope.WINDOW, per_row=True)
        for q in ("2039", "1040", "7898", "1")
    ]
    results = {repr(run(equation, list(order), amount=1000)) for order in permutations(tallies)}
    assert len(results) == 1


# ---- hand-checked cases ----


def contributors_only(
    value: str = "quantity * hour",
    *,
    policy: str = "immediate",
    action: str = "work",
    claim: str = "equity",
    extra_rules: list[dict[str, str]] | None = None,
) -> eq.Equation:
    rules = [{"action": action, "value": value, "claim": claim}, *(extra_rules or [])]
    return eq.parse_equation(
        {
            "rates": {"hour": "25", "item": "1"},
            "buckets": [
                {
                    "name": "contributors",
                    "percent": "100",
                    "of": "remaining",
                    "to": "contributors",
                    "policy": policy,
                    "rules": rules,
                },
            ],
        }
    )


def run(
    equation: eq.Equation,
    tallies: list[Tally],
    *,
    amount: int = 10000,
    paid: dict[str, int] | None = None,
    debt_paid: dict[str, int] | None = None,
    upstreams: list[tuple[str, int]] | None = None,
) -> d.Result:
    return distribute(
        amount=amount,
        currency="EUR",
        equation=equation,
        tallies=tallies,
        paid=paid or {},
        debt_paid=debt_paid or {},
        upstreams=upstreams or [],
    )


def amounts(result: d.Result) -> dict[str, int]:
    return {p.recipient: p.amount for p in result.payouts}


def work(
    agent: str, hours: str | int | Decimal, scope: Scope = Scope.WINDOW, count: int = 1
) -> Tally:
    return Tally(agent, "work", "hour", Decimal(hours), count, scope)


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.sampled_from(AGENTS), st.decimals(min_value=0, max_value=10**4, places=2), min_size=1
    ),
    st.integers(0, 10**10),
)
def test_immediate_more_value_never_gets_less(hours: dict[str, Decimal], amount: int) -> None:
    equation = contributors_only()
    result = run(equation, [work(a, h) for a, h in hours.items()], amount=amount)
    got = amounts(result)
    for richer, h_richer in hours.items():
        for poorer, h_poorer in hours.items():
            if h_richer > h_poorer:
                assert got.get(richer, 0) >= got.get(poorer, 0) - 1
            if h_richer == h_poorer:
                assert abs(got.get(richer, 0) - got.get(poorer, 0)) <= 1
    if any(hours.values()):
        assert result.kept == 0
        total = sum(hours.values())
        for agent, h in hours.items():
            assert abs(got.get(agent, 0) - Fraction(amount) * Fraction(h) / Fraction(total)) < 1


def test_immediate_counts_only_the_window() -> None:
    equation = contributors_only()
    result = run(equation, [work("ann", 3), work("bob", 1), work("bob", 100, Scope.LIFETIME)])
    assert amounts(result) == {"ann": 7500, "bob": 2500}


def test_balanced_pays_those_below_their_fair_share() -> None:
    # ann 12 h, bob 4 h: values 300 and 100. bob already received €100.00, ann nothing.
    # target = (paid_total + budget) x value / total = (10000 + 10000) x ¾ → 15000 for ann,
    # 5000 for bob, who is above it: the whole budget goes to ann.
    equation = contributors_only(policy="balanced")
    tallies = [work("ann", 12, Scope.LIFETIME), work("bob", 4, Scope.LIFETIME)]
    result = run(equation, tallies, paid={"bob": 10000})
    assert amounts(result) == {"ann": 10000}
    assert "fair share €150.00 of €200.00 paid out in all, €0.00 already received" in (
        result.payouts[0].explanation
    )
    # ann 8 h, bob 4 h, cy 4 h (200, 100, 100); cy already has €30.00; budget €50.00.
    # pool 8000 → targets 4000, 2000, 2000; owed 4000, 2000, 0 → 5000 split 2:1
    # → 3333.33 and 1666.67: largest remainder gives bob the odd cent.
    tallies = [
        work("ann", 8, Scope.LIFETIME),
        work("bob", 4, Scope.LIFETIME),
        work("cy", 4, Scope.LIFETIME),
    ]
    result = run(equation, tallies, amount=5000, paid={"cy": 3000})
    assert amounts(result) == {"ann": 3333, "bob": 1667}
    # someone who left (no value any more) still counts in paid_total
    result = run(equation, tallies, amount=5000, paid={"cy": 3000, "zed": 4000})
    # pool 12000 → targets 6000, 3000, 3000; owed 6000, 3000, 0 → 3333 / 1667 again
    assert amounts(result) == {"ann": 3333, "bob": 1667}


def test_balanced_keeps_proportions_when_the_past_was_proportional() -> None:
    equation = contributors_only(policy="balanced")
    tallies = [work("ann", 3, Scope.LIFETIME), work("bob", 1, Scope.LIFETIME)]
    # pool 400 + 400000 → targets 300300 and 100100; owed 300 and 100 → 3:1
    result = run(equation, tallies, amount=400, paid={"ann": 300000, "bob": 100000})
    assert amounts(result) == {"ann": 300, "bob": 100}
    # bob far above his share: however small the budget, it all goes to ann
    result = run(equation, tallies, amount=1, paid={"ann": 3, "bob": 10**6})
    assert amounts(result) == {"ann": 1}


def test_balanced_ignores_window_tallies_and_immediate_ignores_lifetime() -> None:
    balanced = contributors_only(policy="balanced")
    assert amounts(
        run(balanced, [work("ann", 1, Scope.WINDOW), work("bob", 1, Scope.LIFETIME)])
    ) == {"bob": 10000}
    immediate = contributors_only(policy="immediate")
    assert amounts(
        run(immediate, [work("ann", 1, Scope.WINDOW), work("bob", 1, Scope.LIFETIME)])
    ) == {"ann": 10000}


def transfer(agent: str, quantity: int, unit: str = "item") -> Tally:
    return Tally(agent, "transfer", unit, Decimal(quantity), 1, Scope.LIFETIME)


DEBT: dict[str, Any] = {
    "value": "quantity * item",
    "action": "transfer",
    "claim": "debt",
    "extra_rules": [{"action": "work", "value": "quantity * hour", "claim": "equity"}],
}


def test_debt_claims_stop_counting_once_paid() -> None:
    equation = contributors_only(**DEBT)
    # ann lent 100 items worth 100 units (€100.00 of debt); bob worked 4 h = 100 units
    tallies = [transfer("ann", 100), work("bob", 4)]
    result = run(equation, tallies, amount=1000)
    assert amounts(result) == {"ann": 500, "bob": 500}
    ann = next(p for p in result.payouts if p.recipient == "ann")
    assert ann.debt == 500
    assert "owed 100, 100 still unpaid" in ann.explanation
    # half repaid: 50 units still count
    result = run(equation, tallies, amount=1500, debt_paid={"ann": 5000})
    assert amounts(result) == {"ann": 500, "bob": 1000}
    # fully repaid (or more): the claim no longer counts at all
    for repaid in (10000, 10001, 10**9):
        result = run(equation, tallies, amount=1000, debt_paid={"ann": repaid})
        assert amounts(result) == {"bob": 1000}
    # a debt paid off and nothing else valued: the bucket keeps its budget
    result = run(equation, [transfer("ann", 100)], amount=1000, debt_paid={"ann": 10000})
    assert result.payouts == []
    assert result.kept == 1000


def test_debt_repaid_counts_once_across_several_debt_claims() -> None:
    """Regression: what was repaid was set against each of an agent's debt claims in full."""
    equation = contributors_only(**DEBT)
    # ann is owed 100 (items) + 100 (kg) = €200.00, and has had €100.00 back: 100 still count.
    tallies = [transfer("ann", 100), transfer("ann", 100, "kg"), work("bob", 4)]
    result = run(equation, tallies, amount=1000, debt_paid={"ann": 10000})
    assert amounts(result) == {"ann": 500, "bob": 500}
    ann = next(p for p in result.payouts if p.recipient == "ann")
    assert ann.value == 100
    assert ann.debt == 500


def test_once_claims_count_only_new_contributions() -> None:
    equation = contributors_only("quantity * 50", action="cite", claim="once")
    cite = "cite", "citation"
    new = Tally("ann", *cite, Decimal(2), 2, Scope.NEW)
    for scope in (Scope.WINDOW, Scope.LIFETIME):
        old = Tally("bob", *cite, Decimal(2), 2, scope)
        assert amounts(run(equation, [new, old])) == {"ann": 10000}
        result = run(equation, [old])
        assert result.payouts == []
        assert result.kept == 10000
    assert "2 citation cite × 50 = 100 (once)" in run(equation, [new]).payouts[0].explanation


def upstream_equation() -> eq.Equation:
    return eq.parse_equation(
        {
            "rates": {"hour": "25"},
            "buckets": [
                {"name": "upstream", "percent": "10", "to": "upstream"},
                {
                    "name": "contributors",
                    "percent": "100",
                    "of": "remaining",
                    "to": "contributors",
                    "policy": "immediate",
                    "rules": [{"action": "work", "value": "quantity * hour"}],
                },
            ],
        }
    )


def test_upstream_split_by_citation_weight() -> None:
    equation = upstream_equation()
    result = run(
        equation,
        [work("ann", 1)],
        amount=100000,
        upstreams=[("b", 300000), ("a", 600000), ("c", 100000), ("zero", 0), ("minus", -5)],
    )
    up = {p.recipient: p.amount for p in result.payouts if p.to == eq.Target.UPSTREAM}
    assert up == {"a": 6000, "b": 3000, "c": 1000}
    assert amounts(result)["ann"] == 90000
    assert "cited upstream, 60 % of citation weight in bucket *upstream* (10 %) → €60.00" in (
        next(p.explanation for p in result.payouts if p.recipient == "a")
    )


def test_upstream_receivers_are_capped() -> None:
    equation = upstream_equation()
    many = [(f"c{i:04d}", 1000 + i) for i in range(eq.MAX_UPSTREAM_RECEIVERS + 50)]
    random.Random(7).shuffle(many)
    result = run(equation, [work("ann", 1)], amount=10**9, upstreams=many)
    up = {p.recipient: p.amount for p in result.payouts if p.to == eq.Target.UPSTREAM}
    assert len(up) == eq.MAX_UPSTREAM_RECEIVERS
    assert set(up) == {f"c{i:04d}" for i in range(50, eq.MAX_UPSTREAM_RECEIVERS + 50)}  # heaviest
    assert sum(up.values()) == 10**8
    # equal weights beyond the cap: the slug decides, in text order
    ties = [(f"s{i:03d}", 1) for i in range(eq.MAX_UPSTREAM_RECEIVERS + 1)][::-1]
    result = run(equation, [work("ann", 1)], amount=10**9, upstreams=ties)
    assert "s200" not in amounts(result)
    assert "s000" in amounts(result)


def test_upstream_without_receivers_is_kept() -> None:
    equation = upstream_equation()
    for upstreams in ([], [("a", 0)]):
        result = run(equation, [work("ann", 1)], amount=1000, upstreams=upstreams)
        assert amounts(result) == {"ann": 900}
        assert result.kept == 100
        assert result.buckets[0].kept == 100
        assert "kept in the treasury" in result.buckets[0].note


def test_contributors_without_value_keep_their_budget() -> None:
    equation = contributors_only()
    for tallies in (
        [],
        [work("ann", 0)],
        [Tally("ann", "produce", "line", Decimal(9), 1, Scope.WINDOW)],
    ):
        result = run(equation, tallies, amount=777)
        assert result.payouts == []
        assert result.kept == 777
        assert "kept in the treasury" in result.buckets[0].note
    negative = contributors_only("quantity * hour - 100")
    result = run(negative, [work("ann", 1)], amount=777)
    assert result.kept == 777


def test_agent_bucket() -> None:
    equation = eq.parse_equation(
        {
            "buckets": [
                {"name": "infra", "percent": "12.5", "to": "agent", "agent": "assoc"},
                {"name": "rest", "percent": "100", "of": "remaining", "to": "upstream"},
            ]
        }
    )
    result = run(equation, [], amount=1001, upstreams=[("up", 1)])
    assert amounts(result) == {"assoc": 125, "up": 876}
    assert result.payouts[0].explanation == "fixed share: bucket *infra* (12.5 %) → €1.25"


def test_zero_amount_pays_nobody() -> None:
    result = run(upstream_equation(), [work("ann", 1)], amount=0, upstreams=[("a", 1)])
    assert result.payouts == []
    assert result.kept == 0
    assert [b.note for b in result.buckets] == ["nothing to share"] * 2


def test_the_explanation_reads_like_the_design() -> None:
    equation = upstream_equation()
    # ann 12 h x 25 = 300 of 4 000 units; 90 % of 777.78 is 700.00; 300/4000 of it is 52.50
    result = run(equation, [work("ann", 12), work("bob", 148)], amount=77778)
    ann = next(p for p in result.payouts if p.recipient == "ann")
    assert ann.amount == 5250
    assert ann.value == 300
    text = ann.explanation
    for part in (
        "12 hour work",
        "× 25",
        "= 300",
        "of 4 000 units",
        "bucket *contributors*",
        "(90 %)",
        "→ €52.50",
    ):
        assert part in text, (part, text)
    assert text == "12 hour work × 25 = 300 of 4 000 units in bucket *contributors* (90 %) → €52.50"


def test_explanations_of_several_lines_and_of_per_row_rules() -> None:
    equation = contributors_only(
        "min(quantity, 8) * hour",
        extra_rules=[{"action": "produce", "unit": "line", "value": "quantity / 100"}],
    )
    tallies = [
        Tally("ann", "work", "hour", Decimal(10), 3, Scope.WINDOW, per_row=True),  # 3 x 200
        Tally("ann", "produce", "line", Decimal(1000), 4, Scope.WINDOW),  # 10
    ]
    [payout] = run(equation, tallies).payouts
    assert payout.value == 610
    assert payout.explanation.startswith(
        "1 000 line produce × 0.01 = 10 + 30 hour work valued by min(quantity, 8) * hour = 600"
        " = 610 of 610 units"
    )


def test_a_non_linear_rule_needs_per_row_tallies() -> None:
    equation = contributors_only("min(quantity, 8) * hour")
    assert d.row_actions(equation) == {"work"}
    assert d.row_actions(eq.DEFAULT) == set()
    with pytest.raises(ValueError, match="per-row"):
        run(equation, [work("ann", 10)])


def test_affine_rules_sum_quantities_and_counts() -> None:
    equation = contributors_only("quantity * hour + 5")
    # 3 contributions totalling 4 h: 4 x 25 + 3 x 5 = 115; bob 1 contribution of 1 h: 30
    result = run(equation, [work("ann", 4, count=3), work("bob", 1)], amount=145)
    assert amounts(result) == {"ann": 115, "bob": 30}


def test_scopes_needed() -> None:
    assert d.scopes_needed(eq.DEFAULT) == {Scope.LIFETIME, Scope.NEW}
    assert d.scopes_needed(contributors_only()) == {Scope.WINDOW}
    assert d.scopes_needed(contributors_only(**DEBT)) == {Scope.WINDOW, Scope.LIFETIME}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4000, "4 000"),
        (Decimal("52.5"), "52.5"),
        (Decimal("52.50"), "52.5"),
        (0, "0"),
        (Decimal("-1234.5"), "-1 234.5"),
        (Fraction(1, 3), "0.33"),
        (Decimal("0.001"), "0"),
        (1234567, "1 234 567"),
        (Decimal("1E+30"), "1 000 000 000 000 000 000 000 000 000 000"),
    ],
)
def test_number(value: Any, text: str) -> None:
    assert d.number(value) == text


def test_huge_rule_values_are_explained_not_crashed_on() -> None:
    """Regression: number() overflowed the 28-digit context for values from 10^26 up."""
    equation = contributors_only("quantity * 1e30")
    result = run(equation, [work("ann", 2), work("bob", 1)], amount=300)
    assert amounts(result) == {"ann": 200, "bob": 100}
    assert "2 000 000 000 000 000 000 000 000 000 000" in result.payouts[0].explanation


def test_a_negative_rule_value_counts_as_zero_not_against_other_work() -> None:
    equation = contributors_only(
        extra_rules=[{"action": "produce", "value": "quantity - 100", "claim": "equity"}]
    )
    tallies = [
        work("ann", 4),
        Tally("ann", "produce", "item", Decimal(25), 1, Scope.WINDOW),  # 25 - 100 → 0, not -75
        work("bob", 4),
    ]
    assert amounts(run(equation, tallies)) == {"ann": 5000, "bob": 5000}
