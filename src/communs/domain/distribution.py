"""Sharing an income out exactly, following a value equation.

Pure: the service gathers the inputs (tallies of accepted contributions, what was paid before,
the citations), this computes every payout and explains it in words. Amounts are integer minor
units; shares are exact fractions; rounding is by largest remainder with a deterministic
tie-break, so payouts always add up to the amount to the minor unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from .equations import MAX_UPSTREAM_RECEIVERS, Bucket, Claim, Equation, Policy, Rule, Target
from .expressions import affine
from .money import CURRENCIES, display

K = TypeVar("K", bound=Hashable)


def largest_remainder(total: int, weights: Mapping[K, Fraction | Decimal | int]) -> dict[K, int]:
    """Split `total` units in proportion to `weights`, exactly.

    Each key gets the floor of its exact share; the units left over go one each to the largest
    remainders, ties broken by the key's sort order (as text), so the result is deterministic.
    """
    if total < 0:
        raise ValueError("cannot split a negative amount")
    exact = {k: Fraction(w) for k, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must not be negative")
    whole = sum(exact.values(), Fraction(0))
    if whole == 0:
        raise ValueError("weights must not all be zero")
    shares = {k: total * w / whole for k, w in exact.items()}
    result = {k: int(s) for k, s in shares.items()}  # floor: shares are never negative
    left = total - sum(result.values())
    order = sorted(shares, key=lambda k: (-(shares[k] - result[k]), str(k)))
    for k in order[:left]:
        result[k] += 1
    return result


class Scope(StrEnum):
    """Which accepted contributions a tally counts."""

    LIFETIME = "lifetime"  # every accepted contribution
    WINDOW = "window"  # occurred within the bucket's look-back window
    NEW = "new"  # accepted since the commons' previous distribution


@dataclass(frozen=True)
class Tally:
    """Accepted contributions of one agent, action and unit within one scope.

    `quantity` is their summed quantity, or, when `per_row`, the quantity of each of `count`
    contributions (needed when a rule is not linear in quantity, e.g. `min(quantity, 8)`).
    """

    agent: str
    action: str
    unit: str
    quantity: Decimal
    count: int
    scope: Scope
    per_row: bool = False
    window_days: int | None = None  # for Scope.WINDOW: the look-back it was counted over


@dataclass(frozen=True)
class Payout:
    bucket: str
    to: Target
    recipient: str  # an agent's name, or a commons' slug for upstream payouts
    amount: int
    value: Decimal  # the units this payout is in proportion to
    debt: int  # the part of `amount` that pays debt-like claims
    explanation: str


@dataclass(frozen=True)
class BucketShare:
    name: str
    amount: int
    kept: int
    note: str


@dataclass(frozen=True)
class Result:
    amount: int
    currency: str
    payouts: list[Payout]
    buckets: list[BucketShare]
    kept: int = field(default=0)


def scopes_needed(equation: Equation) -> set[Scope]:
    needed: set[Scope] = set()
    for bucket in equation.buckets:
        for rule in bucket.rules:
            needed.add(_scope(bucket, rule))
    return needed


def queries_needed(equation: Equation) -> set[tuple[Scope, int | None]]:
    """The (scope, look-back window) pairs the equation's rules need tallies for."""
    return {
        (scope, bucket.window_days if scope == Scope.WINDOW else None)
        for bucket in equation.buckets
        for rule in bucket.rules
        for scope in [_scope(bucket, rule)]
    }


def row_actions(equation: Equation) -> set[str]:
    """Actions with a rule that is not linear in quantity: their tallies must come per row."""
    return {
        rule.action.value
        for bucket in equation.buckets
        for rule in bucket.rules
        if affine(rule.value, "quantity", equation.rates) is None
    }


def _scope(bucket: Bucket, rule: Rule) -> Scope:
    if rule.claim == Claim.ONCE:
        return Scope.NEW
    if rule.claim == Claim.DEBT or bucket.policy == Policy.BALANCED:
        return Scope.LIFETIME
    return Scope.WINDOW


def number(value: Decimal | Fraction | int) -> str:
    """4000 → "4 000", 52.5 → "52.5": thin, readable numbers for explanations."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f")
    whole, _, part = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    grouped = " ".join(digits[max(0, i - 3) : i] for i in range(len(digits), 0, -3)[::-1])
    return sign + grouped + (f".{part}" if part else "")


def _percent(share: Fraction) -> str:
    return number(share * 100) + " %"


@dataclass
class _Value:
    total: Decimal = Decimal(0)
    debt: Decimal = Decimal(0)
    lines: list[str] = field(default_factory=list)


def _values(
    bucket: Bucket, equation: Equation, tallies: Sequence[Tally], debt_paid: Mapping[str, Decimal]
) -> dict[str, _Value]:
    values: dict[str, _Value] = defaultdict(_Value)
    grouped: dict[tuple[str, str, str, Rule], tuple[Decimal, Decimal]] = {}
    for tally in tallies:
        rule = bucket.rule_for(tally.action, tally.unit)
        if rule is None or tally.scope != _scope(bucket, rule):
            continue
        if tally.scope == Scope.WINDOW and tally.window_days not in (None, bucket.window_days):
            continue
        if tally.per_row:
            each = rule.value.evaluate({**equation.rates, "quantity": tally.quantity})
            worth = each * tally.count
            quantity = tally.quantity * tally.count
        else:
            coefficients = affine(rule.value, "quantity", equation.rates)
            if coefficients is None:
                raise ValueError(f"'{rule.value.text}' needs per-row tallies for {tally.action}")
            a, b = coefficients
            worth = a * tally.quantity + b * tally.count
            quantity = tally.quantity
        key = (tally.agent, tally.action, tally.unit, rule)
        q, v = grouped.get(key, (Decimal(0), Decimal(0)))
        grouped[key] = (q + quantity, v + max(Decimal(0), worth))
    for (agent, action, unit, rule), (quantity, worth) in sorted(
        grouped.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])
    ):
        entry = values[agent]
        label = f"{number(quantity)} {unit} {action}"
        coefficients = affine(rule.value, "quantity", equation.rates)
        if coefficients is None:
            line = f"{label} valued by {rule.value.text}"
        else:
            a, b = coefficients
            line = f"{label} × {number(a)}" + (f" + {number(b)} each" if b else "")
        if rule.claim == Claim.DEBT:
            owed = max(Decimal(0), worth - debt_paid.get(agent, Decimal(0)))
            entry.debt += owed
            entry.total += owed
            entry.lines.append(f"{label} owed {number(worth)}, {number(owed)} still unpaid")
            continue
        entry.total += worth
        suffix = " (once)" if rule.claim == Claim.ONCE else ""
        entry.lines.append(f"{line} = {number(worth)}{suffix}")
    return {agent: v for agent, v in values.items() if v.total > 0}


def distribute(
    *,
    amount: int,
    currency: str,
    equation: Equation,
    tallies: Sequence[Tally],
    paid: Mapping[str, int],
    debt_paid: Mapping[str, int],
    upstreams: Sequence[tuple[str, int]],
) -> Result:
    """Share `amount` out according to `equation`.

    `paid`: what each contributor already received from this commons' contributor buckets
    (for the balanced policy); `debt_paid`: what of it paid debt-like claims; `upstreams`:
    the commons this one cites, with weights in parts per million, already stripped of any
    commons the money came through (so citation cycles cannot loop).
    """
    digits = CURRENCIES[currency]
    shares = equation.fractions()
    split = largest_remainder(amount, dict(enumerate(shares)))
    payouts: list[Payout] = []
    buckets: list[BucketShare] = []
    debt_major = {a: Decimal(v).scaleb(-digits) for a, v in debt_paid.items()}
    for index, bucket in enumerate(equation.buckets):
        budget = split[index]
        where = f"bucket *{bucket.name}* ({_percent(shares[index])})"
        if budget == 0:
            buckets.append(BucketShare(bucket.name, 0, 0, "nothing to share"))
            continue
        if bucket.to == Target.AGENT:
            assert bucket.agent is not None  # noqa: S101 - parse_equation guarantees it
            payouts.append(
                Payout(
                    bucket.name,
                    Target.AGENT,
                    bucket.agent,
                    budget,
                    Decimal(1),
                    0,
                    f"fixed share: {where} → {display(budget, currency)}",
                )
            )
            buckets.append(BucketShare(bucket.name, budget, 0, f"to {bucket.agent}"))
            continue
        if bucket.to == Target.UPSTREAM:
            receivers = sorted(upstreams, key=lambda u: (-u[1], u[0]))[:MAX_UPSTREAM_RECEIVERS]
            receivers = [(slug, weight) for slug, weight in receivers if weight > 0]
            if not receivers:
                buckets.append(
                    BucketShare(
                        bucket.name, budget, budget, "no cited commons to pay; kept in the treasury"
                    )
                )
                continue
            weights = dict(receivers)
            total_weight = sum(weights.values())
            for slug, part in sorted(largest_remainder(budget, weights).items()):
                if part == 0:
                    continue
                share = Fraction(weights[slug], total_weight)
                payouts.append(
                    Payout(
                        bucket.name,
                        Target.UPSTREAM,
                        slug,
                        part,
                        Decimal(weights[slug]),
                        0,
                        f"cited upstream, {_percent(share)} of citation weight in {where} "
                        f"→ {display(part, currency)}",
                    )
                )
            buckets.append(BucketShare(bucket.name, budget, 0, f"{len(receivers)} cited commons"))
            continue
        values = _values(bucket, equation, tallies, debt_major)
        total = sum((v.total for v in values.values()), Decimal(0))
        if total == 0:
            buckets.append(
                BucketShare(
                    bucket.name, budget, budget, "no valued contribution yet; kept in the treasury"
                )
            )
            continue
        if bucket.policy == Policy.IMMEDIATE:
            weights_f = {a: Fraction(v.total) for a, v in values.items()}
            reason = {a: f"of {number(total)} units in {where}" for a in values}
        else:
            paid_total = sum(paid.values())
            pool = Fraction(paid_total + budget)
            weights_f = {}
            reason = {}
            for agent, v in values.items():
                target = pool * Fraction(v.total) / Fraction(total)
                owed = max(Fraction(0), target - paid.get(agent, 0))
                weights_f[agent] = owed
                reason[agent] = (
                    f"of {number(total)} units over the commons' life in {where}: fair share "
                    f"{display(int(target), currency)} of {display(paid_total + budget, currency)}"
                    f" paid out in all, {display(paid.get(agent, 0), currency)} already received"
                )
            if not any(weights_f.values()):
                # Everyone already holds at least their share: fall back to plain proportions.
                weights_f = {a: Fraction(v.total) for a, v in values.items()}
        parts = largest_remainder(budget, weights_f)
        for agent in sorted(parts):
            part = parts[agent]
            if part == 0:
                continue
            v = values[agent]
            debt = 0
            if v.debt > 0:
                debt = min(
                    int(part * Fraction(v.debt) / Fraction(v.total)), int(v.debt.scaleb(digits))
                )
            text = (
                f"{' + '.join(v.lines)} = {number(v.total)} {reason[agent]} "
                f"→ {display(part, currency)}"
            )
            payouts.append(
                Payout(bucket.name, Target.CONTRIBUTORS, agent, part, v.total, debt, text)
            )
        buckets.append(BucketShare(bucket.name, budget, 0, f"{len(values)} contributors"))
    kept = sum(b.kept for b in buckets)
    return Result(amount, currency, payouts, buckets, kept)
