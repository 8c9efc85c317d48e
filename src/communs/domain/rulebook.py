"""A commons' rulebook: its rules of decision as data, so they can be read, compared, forked and
changed by the community itself ("the rules can always be challenged and adapted").

A rulebook is a flat mapping of named rules. Every version is stored whole; `parse` checks a
complete mapping, `amend` applies a partial one to the rules in force, and `diff` says what
changed between two versions. Shares are exact fractions, written "2/3" (a percentage such as
"90" or "66.7" is also read); durations are whole hours or days.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .commons import MAX_APPROVALS
from .errors import FieldErrors, Invalid
from .governance import Method, Rules, percent


class Who(StrEnum):
    ANYONE = "anyone"  # any person with an account
    CONTRIBUTORS = "contributors"  # accepted contributions within the eligibility window
    MAINTAINERS = "maintainers"


class Power(StrEnum):
    """Changes a proposal can execute. The rulebook says which of them its maintainers may
    also make directly, without a proposal; amending the rulebook never is one of them."""

    AMEND_RULEBOOK = "amend_rulebook"
    ADOPT_EQUATION = "adopt_equation"
    CHANGE_LICENCE = "change_licence"
    ADD_MAINTAINER = "add_maintainer"
    REMOVE_MAINTAINER = "remove_maintainer"
    APPROVE_EXPENSE = "approve_expense"
    SET_APPROVALS = "set_approvals"
    CREATE_WORKING_GROUP = "create_working_group"
    CLOSE_WORKING_GROUP = "close_working_group"


DELEGABLE = frozenset(Power) - {Power.AMEND_RULEBOOK}
# What maintainers did alone before the community wrote its own rules: a new commons keeps
# working the way it always has until its people decide otherwise.
FOUNDING_POWERS = frozenset(
    {
        Power.ADOPT_EQUATION,
        Power.CHANGE_LICENCE,
        Power.ADD_MAINTAINER,
        Power.APPROVE_EXPENSE,
        Power.SET_APPROVALS,
        Power.CREATE_WORKING_GROUP,
        Power.CLOSE_WORKING_GROUP,
    }
)
MAX_DAYS = 3650
MAX_COUNT = 100_000


@dataclass(frozen=True)
class Rulebook:
    methods: tuple[Method, ...] = tuple(Method)
    default_method: Method = Method.CONSENT
    duration_hours: int = 7 * 24
    lazy_consensus_hours: int = 72
    quorum: Fraction = Fraction(1, 3)
    supermajority: Fraction = Fraction(2, 3)
    modified_consensus: Fraction = Fraction(9, 10)
    override_blocks: bool = False
    blocks_per_period: int | None = None
    block_period_days: int = 365
    who_proposes: Who = Who.CONTRIBUTORS
    who_votes: Who = Who.CONTRIBUTORS
    eligibility_days: int = 365
    eligibility_contributions: int = 1
    approvals_required: int = 1
    promotion_contributions: int = 20
    promotion_days: int = 90
    emeritus_after_days: int = 180
    maintainers_may: frozenset[Power] = FOUNDING_POWERS
    # What is in force, recorded as each is adopted (version 0: the built-in equation; the
    # profile the commons' licence names). Changed by adopt_equation and change_licence only.
    equation_version: int = 0
    licence_version: int = 0

    def decision_rules(self) -> Rules:
        return Rules(
            duration=timedelta(hours=self.duration_hours),
            lazy_duration=timedelta(hours=self.lazy_consensus_hours),
            quorum=self.quorum,
            supermajority=self.supermajority,
            modified_consensus=self.modified_consensus,
            override_blocks=self.override_blocks,
            blocks_per_period=self.blocks_per_period,
            block_period=timedelta(days=self.block_period_days),
        )

    def to_data(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in fields(self)}


NAMES = tuple(f.name for f in fields(Rulebook))
DESCRIPTIONS: dict[str, str] = {
    "methods": "Decision methods a proposal may use",
    "default_method": "Method a proposal uses when it names none",
    "duration_hours": "Voting period, in hours",
    "lazy_consensus_hours": "Lazy consensus period, in hours",
    "quorum": "Quorum for majority votes, share of those eligible",
    "supermajority": "Supermajority threshold",
    "modified_consensus": "Modified consensus threshold (second round)",
    "override_blocks": "May the second round's threshold override a block?",
    "blocks_per_period": "Blocks one person may cast per period (empty: no limit)",
    "block_period_days": "Length of that period, in days",
    "who_proposes": "Who may open a proposal",
    "who_votes": "Who may vote",
    "eligibility_days": "Contributions count toward eligibility for this many days",
    "eligibility_contributions": "Accepted contributions needed in that window",
    "approvals_required": "Maintainer approvals a contribution needs",
    "promotion_contributions": "Accepted contributions for a maintainer nomination",
    "promotion_days": "Over at least this many days",
    "emeritus_after_days": "A maintainer inactive this many days becomes emeritus",
    "maintainers_may": "Changes maintainers may make without a proposal",
    "equation_version": "Value equation version in force",
    "licence_version": "Licence profile version in force",
}
# Rules an amendment cannot name: they follow what adopt_equation and change_licence do.
RECORDED = frozenset({"equation_version", "licence_version"})


def _dump(value: object) -> object:
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def parse(data: object) -> Rulebook:
    """A rulebook from its stored form; Invalid names every bad rule. A rule it does not name
    has its default, so versions stored before a rule existed still read."""
    if not isinstance(data, Mapping):
        raise Invalid.field("rulebook", "A rulebook is an object of named rules.")
    return _build(Rulebook(), data)


def amend(current: Rulebook, changes: object) -> Rulebook:
    """The rules in force with some of them changed; an empty or idle change is refused."""
    if not isinstance(changes, Mapping) or not changes:
        raise Invalid.field("set", "Name at least one rule to change, with its new value.")
    errors = FieldErrors()
    for name in sorted(RECORDED & {str(k) for k in changes}):
        what = "a value equation" if name == "equation_version" else "a licence profile"
        errors.add(name, f"Recorded when {what} is adopted; propose that change instead.")
    errors.raise_if_any()
    amended = _build(current, changes)
    if amended == current:
        raise Invalid.field("set", "These values are the rules already in force.")
    return amended


def diff(old: Rulebook, new: Rulebook) -> list[tuple[str, object, object]]:
    """(rule, old value, new value) for every rule that differs, in the rulebook's order."""
    before, after = old.to_data(), new.to_data()
    return [(name, before[name], after[name]) for name in NAMES if before[name] != after[name]]


def _build(base: Rulebook, data: Mapping[Any, Any]) -> Rulebook:
    errors = FieldErrors()
    unknown = sorted(str(k) for k in data if k not in NAMES)
    for name in unknown:
        errors.add(name, "No such rule.")
    values: dict[str, Any] = {}
    for name in NAMES:
        if name in data:
            values[name] = _READERS[name](data[name], name, errors)
    errors.raise_if_any()
    book = replace(base, **values)
    if book.default_method not in book.methods:
        errors.add("default_method", "The default method must be one of the methods allowed.")
    if book.who_votes == Who.ANYONE:
        # A quorum needs a known electorate: everyone-with-an-account has no edge.
        errors.add("who_votes", "Voting is for contributors or maintainers.")
    errors.raise_if_any()
    return book


def _whole(low: int, high: int, *, optional: bool = False) -> Any:
    def read(raw: object, name: str, errors: FieldErrors) -> int | None:
        if raw is None and optional:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            errors.add(name, f"A whole number from {low} to {high}.")
            return low
        return raw

    return read


def _share(low: Fraction, *, above: bool = False) -> Any:
    def read(raw: object, name: str, errors: FieldErrors) -> Fraction:
        value = _fraction(raw)
        if value is None or value > 1 or value < low or (above and value == low):
            edge = "more than" if above else "at least"
            errors.add(
                name,
                f'A share such as "2/3" or a percentage such as "90", {edge} '
                f"{percent(low)} and at most 100 %.",
            )
            return Fraction(1)
        return value

    return read


_RATIO = re.compile(r"([0-9]{1,9})/([0-9]{1,9})", re.ASCII)
_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?", re.ASCII)


def _fraction(raw: object) -> Fraction | None:
    """A share written "2/3", or as a percentage: "90", "66.7", "90 %". Plain ASCII digits
    only: Decimal would also read "1e99999999" (whose exact fraction takes minutes to build),
    "1_0" or other scripts' digits."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    text = str(raw).strip().removesuffix("%").strip()
    ratio = _RATIO.fullmatch(text)
    if ratio:
        bottom = int(ratio.group(2))
        return Fraction(int(ratio.group(1)), bottom) if bottom else None
    if _PERCENT.fullmatch(text):
        return Fraction(Decimal(text)) / 100
    return None


def _choice(kind: type[StrEnum]) -> Any:
    def read(raw: object, name: str, errors: FieldErrors) -> StrEnum:
        try:
            return kind(str(raw))
        except ValueError:
            errors.add(name, f"One of: {', '.join(m.value for m in kind)}.")
            return next(iter(kind))

    return read


def _methods(raw: object, name: str, errors: FieldErrors) -> tuple[Method, ...]:
    chosen = _names(raw, name, errors, Method)
    if not chosen:
        errors.add(name, "Allow at least one method.")
    return tuple(m for m in Method if m in chosen)


def _powers(raw: object, name: str, errors: FieldErrors) -> frozenset[Power]:
    chosen = _names(raw, name, errors, Power)
    if Power.AMEND_RULEBOOK in chosen:
        errors.add(name, "The rulebook itself changes only by an adopted proposal.")
    return frozenset(Power(p) for p in chosen)


def _names(raw: object, name: str, errors: FieldErrors, kind: type[StrEnum]) -> set[str]:
    allowed = {m.value for m in kind}
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        errors.add(name, f"A list of: {', '.join(sorted(allowed))}.")
        return set()
    bad = sorted(set(raw) - allowed)
    if bad:
        errors.add(name, f"Unknown: {', '.join(bad)}. Known: {', '.join(sorted(allowed))}.")
    return set(raw) & allowed


def _flag(raw: object, name: str, errors: FieldErrors) -> bool:
    if not isinstance(raw, bool):
        errors.add(name, "true or false.")
        return False
    return raw


_READERS: dict[str, Any] = {
    "methods": _methods,
    "default_method": _choice(Method),
    "duration_hours": _whole(1, MAX_DAYS * 24),
    "lazy_consensus_hours": _whole(1, MAX_DAYS * 24),
    "quorum": _share(Fraction(0)),
    "supermajority": _share(Fraction(1, 2), above=True),
    "modified_consensus": _share(Fraction(1, 2), above=True),
    "override_blocks": _flag,
    "blocks_per_period": _whole(0, MAX_COUNT, optional=True),
    "block_period_days": _whole(1, MAX_DAYS),
    "who_proposes": _choice(Who),
    "who_votes": _choice(Who),
    "eligibility_days": _whole(1, MAX_DAYS),
    "eligibility_contributions": _whole(1, MAX_COUNT),
    "approvals_required": _whole(1, MAX_APPROVALS),
    "promotion_contributions": _whole(1, MAX_COUNT),
    "promotion_days": _whole(0, MAX_DAYS),
    "emeritus_after_days": _whole(1, MAX_DAYS),
    "maintainers_may": _powers,
    "equation_version": _whole(0, 10**9),
    "licence_version": _whole(0, 10**9),
}
assert set(_READERS) == set(NAMES)  # noqa: S101 - every rule has a reader
