"""Sharing an income out exactly, following a value equation.

Pure: the service gathers the inputs (tallies of accepted contributions, what was paid before,
the citations), this computes every payout and explains it in words. Amounts are integer minor
units; shares are exact fractions; rounding is by largest remainder with a deterministic
tie-break, so payouts always add up to the amount to the minor unit.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
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
    Works in integers (weights brought to a common denominator): fast for 50,000 keys.
    """
    if total < 0:
        raise ValueError("cannot split a negative amount")
    exact = {k: w if isinstance(w, Fraction) else Fraction(w) for k, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must not be negative")
    denominator = math.lcm(*(w.denominator for w in exact.values())) if exact else 1
    scaled = {k: w.numerator * (denominator // w.denominator) for k, w in exact.items()}
    whole = sum(scaled.values())
    if whole == 0:
        raise ValueError("weights must not all be zero")
    result: dict[K, int] = {}
    remainders: dict[K, int] = {}
    for k, w in scaled.items():
        result[k], remainders[k] = divmod(total * w, whole)
    left = total - sum(result.values())
    if left:
        for k in heapq.nsmallest(left, remainders, key=lambda k: (-remainders[k], str(k))):
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


def uses_payment_history(equation: Equation) -> bool:
    """Whether what contributors were paid before matters: balanced buckets, debt claims."""
    return any(
        bucket.to == Target.CONTRIBUTORS
        and (bucket.policy == Policy.BALANCED or any(r.claim == Claim.DEBT for r in bucket.rules))
        for bucket in equation.buckets
    )


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
    """4000 → "4 000", 52.5 → "52.5", at most two decimals: readable numbers for explanations."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = f"{value:,f}"
    if "." in text:
        whole, part = text.split(".")
        part = part.rstrip("0")
        if len(part) > 2:  # round to hundredths, with room for every digit
            with localcontext() as ctx:
                ctx.prec = max(ctx.prec, Decimal(value).adjusted() + 4)
                return number(Decimal(value).quantize(Decimal("0.01")).normalize())
        text = f"{whole}.{part}" if part else whole
    return text.replace(",", " ")


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
    unspent = dict(debt_paid)  # what was paid on debt, not yet set against one of the claims
    grouped: dict[tuple[str, str, str, Rule], tuple[Decimal, Decimal]] = {}
    coefficients_of: dict[int, tuple[Decimal, Decimal] | None] = {}

    def coefficients(rule: Rule) -> tuple[Decimal, Decimal] | None:
        if id(rule) not in coefficients_of:
            coefficients_of[id(rule)] = affine(rule.value, "quantity", equation.rates)
        return coefficients_of[id(rule)]

    rate_texts: dict[int, str] = {}
    rules: dict[tuple[str, str], tuple[Rule | None, Scope | None]] = {}

    def rate_text(rule: Rule) -> str:
        if id(rule) not in rate_texts:
            linear = coefficients(rule)
            if linear is None:
                rate_texts[id(rule)] = f" valued by {rule.value.text}"
            else:
                a, b = linear
                rate_texts[id(rule)] = f" × {number(a)}" + (f" + {number(b)} each" if b else "")
        return rate_texts[id(rule)]

    # Decimal sums of per-row values can round, so their order must not depend on the caller's.
    # Summed tallies are one per key and need no sorting.
    ordered = [t for t in tallies if not t.per_row] + sorted(
        (t for t in tallies if t.per_row),
        key=lambda t: (t.agent, t.action, t.unit, t.scope.value, t.quantity, t.count),
    )
    for tally in ordered:
        key_rule = (tally.action, tally.unit)
        if key_rule not in rules:
            found = bucket.rule_for(tally.action, tally.unit)
            rules[key_rule] = (found, _scope(bucket, found) if found else None)
        rule, scope = rules[key_rule]
        if rule is None or tally.scope != scope:
            continue
        if tally.scope == Scope.WINDOW and tally.window_days not in (None, bucket.window_days):
            continue
        if tally.per_row:
            each = rule.value.evaluate({**equation.rates, "quantity": tally.quantity})
            worth = each * tally.count
            quantity = tally.quantity * tally.count
        else:
            linear = coefficients(rule)
            if linear is None:
                raise ValueError(f"'{rule.value.text}' needs per-row tallies for {tally.action}")
            a, b = linear
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
        line = f"{label}{rate_text(rule)}"
        if rule.claim == Claim.DEBT:
            repaid = unspent.get(agent, Decimal(0))
            owed = max(Decimal(0), worth - repaid)
            unspent[agent] = max(Decimal(0), repaid - worth)
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
        # Values as integers over one common scale: exact, and fast for many contributors.
        exponent = min(
            (e for v in values.values() if isinstance(e := v.total.as_tuple().exponent, int)),
            default=0,
        )
        scaled = {a: int(v.total.scaleb(-min(exponent, 0))) for a, v in values.items()}
        whole = sum(scaled.values())
        weights_f: dict[str, int] = {}
        reason = {}
        if bucket.policy == Policy.IMMEDIATE:
            weights_f = scaled
            reason = dict.fromkeys(values, f"of {number(total)} units in {where}")
        else:
            paid_total = sum(paid.values())
            pool = paid_total + budget
            for agent in values:
                received = paid.get(agent, 0)
                # owed * whole = pool * value - received * whole: same proportions, in integers
                weights_f[agent] = max(0, pool * scaled[agent] - received * whole)
                reason[agent] = (
                    f"of {number(total)} units over the commons' life in {where}: fair share "
                    f"{display(pool * scaled[agent] // whole, currency)} of "
                    f"{display(pool, currency)} paid out in all, "
                    f"{display(received, currency)} already received"
                )
            if not any(weights_f.values()):
                # Everyone already holds at least their share: fall back to plain proportions.
                weights_f = scaled
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
            summary = " + ".join(v.lines)
            if len(v.lines) > 1 or v.debt:  # a single line already ends with its value
                summary += f" = {number(v.total)}"
            text = f"{summary} {reason[agent]} → {display(part, currency)}"
            payouts.append(
                Payout(bucket.name, Target.CONTRIBUTORS, agent, part, v.total, debt, text)
            )
        buckets.append(BucketShare(bucket.name, budget, 0, f"{len(values)} contributors"))
    kept = sum(b.kept for b in buckets)
    return Result(amount, currency, payouts, buckets, kept)
