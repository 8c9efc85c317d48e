"""Value equations: versioned data saying how a commons splits an income.

An equation has named rates and ordered buckets. Each bucket takes a percentage of the whole
income or of what earlier buckets left, and sends it to one agent, to the commons this one cites
(by citation weight), or to contributors, valued by per-action rules. Rules are expressions
(see `expressions`), never code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeGuard

from .contributions import UNITS, Action
from .errors import FieldErrors, Invalid
from .expressions import Expression, parse

RATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
BUCKET_KEYS = {"name", "percent", "of", "to", "agent", "policy", "window_days", "rules"}
RULE_KEYS = {"action", "unit", "value", "claim"}
RESERVED_NAMES = {"quantity", "min", "max"}
MAX_BUCKETS = 20
MAX_RULES = 50
MAX_RATES = 50
MAX_WINDOW_DAYS = 3650
MAX_UPSTREAM_RECEIVERS = 200


class Target(StrEnum):
    AGENT = "agent"
    UPSTREAM = "upstream"
    CONTRIBUTORS = "contributors"


class Of(StrEnum):
    WHOLE = "whole"
    REMAINING = "remaining"


class Policy(StrEnum):
    IMMEDIATE = "immediate"
    BALANCED = "balanced"


class Claim(StrEnum):
    EQUITY = "equity"  # counts in every distribution
    DEBT = "debt"  # counts until it has been paid
    ONCE = "once"  # counts in the first distribution after acceptance only


@dataclass(frozen=True)
class Rule:
    action: Action
    unit: str | None
    value: Expression
    claim: Claim

    def matches(self, action: str, unit: str) -> bool:
        return self.action == action and (self.unit is None or self.unit == unit)


@dataclass(frozen=True)
class Bucket:
    name: str
    percent: Decimal
    of: Of
    to: Target
    agent: str | None = None
    policy: Policy = Policy.BALANCED
    window_days: int = 365
    rules: tuple[Rule, ...] = ()

    def rule_for(self, action: str, unit: str) -> Rule | None:
        return next((r for r in self.rules if r.matches(action, unit)), None)


@dataclass(frozen=True)
class Equation:
    rates: Mapping[str, Decimal]
    buckets: tuple[Bucket, ...]
    definition: Mapping[str, Any]  # the normalised JSON it was read from, stored as is

    def fractions(self) -> list[Fraction]:
        """Each bucket's exact share of the whole income."""
        left = Fraction(1)
        shares = []
        for bucket in self.buckets:
            pct = Fraction(bucket.percent) / 100
            share = pct if bucket.of == Of.WHOLE else pct * left
            shares.append(share)
            left -= share
        return shares


DEFAULT_DEFINITION: dict[str, Any] = {
    "rates": {"hour": "25", "artefact": "10", "citation": "50", "use": "1", "transfer": "1"},
    "buckets": [
        {"name": "upstream", "percent": "10", "of": "whole", "to": "upstream"},
        {
            "name": "contributors",
            "percent": "100",
            "of": "remaining",
            "to": "contributors",
            "policy": "balanced",
            "window_days": 365,
            "rules": [
                {"action": "work", "value": "quantity * hour", "claim": "equity"},
                {"action": "deliverService", "unit": "hour", "value": "quantity * hour",
                 "claim": "equity"},
                {"action": "deliverService", "value": "quantity * artefact", "claim": "equity"},
                {"action": "produce", "unit": "line", "value": "quantity / 100", "claim": "equity"},
                {"action": "produce", "value": "quantity * artefact", "claim": "equity"},
                {"action": "cite", "value": "quantity * citation", "claim": "once"},
                {"action": "use", "value": "quantity * use", "claim": "equity"},
                {"action": "transfer", "value": "quantity * transfer", "claim": "debt"},
            ],
        },
    ],
}  # fmt: skip


def _decimal(
    raw: object, errors: FieldErrors, field: str, *, low: Decimal, high: Decimal
) -> Decimal:
    try:
        if not isinstance(raw, str) or not NUMBER.fullmatch(raw.strip()):
            raise InvalidOperation
        value = Decimal(raw.strip())
        if value.is_zero():
            value = Decimal(0)  # not "-0"
    except (InvalidOperation, ValueError):
        errors.add(field, 'Give a decimal number as a string, such as "25" or "12.5".')
        return Decimal(0)
    if not value.is_finite() or not low <= value <= high:
        errors.add(field, f"Give a number between {low} and {high}.")
        return Decimal(0)
    return value


def _is(value: object, choices: type[StrEnum]) -> TypeGuard[str]:
    """`value` is one of the enum's values (and not, say, a list from a JSON body)."""
    return isinstance(value, str) and value in {c.value for c in choices}


def _unknown(raw: Mapping[Any, Any], known: set[str], path: str, errors: FieldErrors) -> None:
    unknown = set(map(str, raw)) - known
    if unknown:
        errors.add(path, f"Unknown keys: {', '.join(sorted(unknown))}.")


def parse_equation(data: object) -> Equation:
    """Validate an equation's JSON; raise Invalid listing every problem by path."""
    errors = FieldErrors()
    if not isinstance(data, Mapping):
        raise Invalid.field("equation", "An equation is an object with 'rates' and 'buckets'.")
    unknown = set(data) - {"rates", "buckets"}
    if unknown:
        errors.add("equation", f"Unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    raw_rates = data.get("rates", {})
    rates: dict[str, Decimal] = {}
    if not isinstance(raw_rates, Mapping) or len(raw_rates) > MAX_RATES:
        errors.add("rates", f"Rates are an object of at most {MAX_RATES} names to numbers.")
    else:
        for name, raw in raw_rates.items():
            if not isinstance(name, str) or not RATE_NAME.fullmatch(name) or name in RESERVED_NAMES:
                errors.add(f"rates.{name}", "Use a lowercase name such as hour_rate.")
                continue
            rates[name] = _decimal(
                raw, errors, f"rates.{name}", low=Decimal(0), high=Decimal(10**9)
            )
    raw_buckets = data.get("buckets")
    buckets: list[Bucket] = []
    if not isinstance(raw_buckets, list) or not 1 <= len(raw_buckets) <= MAX_BUCKETS:
        errors.add("buckets", f"Give between 1 and {MAX_BUCKETS} buckets.")
        raw_buckets = []
    names = {"quantity", *rates}
    for i, raw in enumerate(raw_buckets):
        bucket = _bucket(raw, f"buckets[{i}]", names, errors)
        if bucket is not None:
            buckets.append(bucket)
    seen = [b.name for b in buckets]
    for name in {n for n in seen if seen.count(n) > 1}:
        errors.add("buckets", f"Two buckets are named '{name}'.")
    errors.raise_if_any()
    equation = Equation(rates, tuple(buckets), {})
    _check_total(equation)
    return Equation(rates, tuple(buckets), _normalised(rates, buckets))


def _bucket(raw: object, path: str, names: set[str], errors: FieldErrors) -> Bucket | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "A bucket is an object.")
        return None
    _unknown(raw, BUCKET_KEYS, path, errors)
    name = raw.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
        errors.add(f"{path}.name", "Name the bucket (1 to 60 characters).")
        name = "?"
    percent = _decimal(
        raw.get("percent"), errors, f"{path}.percent", low=Decimal(0), high=Decimal(100)
    )
    of, to = raw.get("of", Of.WHOLE), raw.get("to")
    if not _is(of, Of):
        errors.add(f"{path}.of", "Use 'whole' or 'remaining'.")
    if not _is(to, Target):
        errors.add(f"{path}.to", "Use 'agent', 'upstream' or 'contributors'.")
        return None
    agent = raw.get("agent")
    if to == Target.AGENT and (not isinstance(agent, str) or not agent):
        errors.add(f"{path}.agent", "Name the agent who receives this bucket.")
    if to != Target.AGENT and agent is not None:
        errors.add(f"{path}.agent", "Only an 'agent' bucket names an agent.")
    policy = raw.get("policy", Policy.BALANCED)
    if not _is(policy, Policy):
        errors.add(f"{path}.policy", "Use 'immediate' or 'balanced'.")
        policy = Policy.BALANCED
    window = raw.get("window_days", 365)
    if (
        isinstance(window, bool)
        or not isinstance(window, int)
        or not 1 <= window <= MAX_WINDOW_DAYS
    ):
        errors.add(f"{path}.window_days", f"A whole number of days from 1 to {MAX_WINDOW_DAYS}.")
        window = 365
    rules: list[Rule] = []
    raw_rules = raw.get("rules", [])
    if to == Target.CONTRIBUTORS:
        if not isinstance(raw_rules, list) or not 1 <= len(raw_rules) <= MAX_RULES:
            errors.add(f"{path}.rules", f"Give between 1 and {MAX_RULES} rules.")
            raw_rules = []
        for j, rule in enumerate(raw_rules):
            parsed = _rule(rule, f"{path}.rules[{j}]", names, errors)
            if parsed is not None:
                rules.append(parsed)
    elif raw_rules:
        errors.add(f"{path}.rules", "Only a 'contributors' bucket has rules.")
    return Bucket(
        name.strip(),
        percent,
        Of(of) if _is(of, Of) else Of.WHOLE,
        Target(to),
        agent if to == Target.AGENT else None,
        Policy(policy),
        window,
        tuple(rules),
    )


def _rule(raw: object, path: str, names: set[str], errors: FieldErrors) -> Rule | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "A rule is an object with 'action' and 'value'.")
        return None
    _unknown(raw, RULE_KEYS, path, errors)
    action = raw.get("action")
    if not _is(action, Action):
        errors.add(f"{path}.action", f"Use one of {', '.join(Action)}.")
        return None
    unit = raw.get("unit")
    if unit is not None and unit not in UNITS[Action(action)]:
        errors.add(f"{path}.unit", f"'{action}' is measured in {', '.join(UNITS[Action(action)])}.")
    claim = raw.get("claim", Claim.EQUITY)
    if not _is(claim, Claim):
        errors.add(f"{path}.claim", "Use 'equity', 'debt' or 'once'.")
        claim = Claim.EQUITY
    try:
        value = parse(raw.get("value"), names)
    except Invalid as exc:
        errors.add(f"{path}.value", " ".join(exc.errors.get("expression", [exc.detail])))
        return None
    return Rule(Action(action), unit, value, Claim(claim))


def _check_total(equation: Equation) -> None:
    left = Fraction(1)
    for i, (bucket, share) in enumerate(zip(equation.buckets, equation.fractions(), strict=True)):
        if share > left:
            raise Invalid.field(
                f"buckets[{i}].percent",
                f"'{bucket.name}' takes {bucket.percent} % of the whole, but only "
                f"{_pct(left)} % is left after the buckets before it.",
            )
        left -= share
    if left != 0:
        raise Invalid.field(
            "buckets",
            f"The buckets share out {_pct(1 - left)} % of each income; they must share out "
            "exactly 100 % (end with a bucket taking 100 % of what remains).",
        )


def _pct(share: Fraction) -> str:
    # Exact (shares of decimal percentages are decimals): 99.999 % must not read as "100 %".
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(share.numerator * 100) / Decimal(share.denominator)
        return format(value.normalize(), "f")


def _normalised(rates: Mapping[str, Decimal], buckets: list[Bucket]) -> dict[str, Any]:
    def bucket_json(b: Bucket) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": b.name,
            "percent": _text(b.percent),
            "of": b.of.value,
            "to": b.to.value,
        }
        if b.to == Target.AGENT:
            out["agent"] = b.agent
        if b.to == Target.CONTRIBUTORS:
            out["policy"] = b.policy.value
            out["window_days"] = b.window_days
            out["rules"] = [
                {
                    "action": r.action.value,
                    **({"unit": r.unit} if r.unit else {}),
                    "value": r.value.text,
                    "claim": r.claim.value,
                }
                for r in b.rules
            ]
        return out

    return {
        "rates": {k: _text(v) for k, v in sorted(rates.items())},
        "buckets": [bucket_json(b) for b in buckets],
    }


def _text(value: Decimal) -> str:
    # Every digit that was given: the default 28-digit context would round the stored text.
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, len(value.as_tuple().digits))
        return format(value.normalize(), "f")


DEFAULT = parse_equation(DEFAULT_DEFINITION)
