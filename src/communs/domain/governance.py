"""How a commons decides: the decision methods of its rulebook, as pure functions.

The essay's communities are polyarchies, not democracies: anyone contributes, maintainers
validate, and when a choice must be made together the rulebook says how. Each method here takes
the votes cast, the number of people eligible to vote, the rules and the time it is (the clock
is passed in, never read) and says whether the proposal is still open, has passed or has
failed, and why. The order in which votes arrive never matters: a vote is one person's current
position in the current round.

- consent: passes when its period ends with no unresolved objection. An objection carries a
  reason; the objector may withdraw it; the proposer may amend the proposal, which opens a new
  round (earlier consents no longer count: they were given to another text).
- consensus: unanimity is sought; a block carries a reason. A first round that ends without
  unanimity may go to a second round, decided by modified consensus (default 90 % of the votes
  cast in favour), where an unresolved block still stops it unless the rulebook lets that
  threshold override blocks.
- majority / supermajority: more than half (or at least the supermajority, default two thirds)
  of the votes cast, once a quorum of the eligible has voted.
- lazy consensus: passes once its period (default 72 hours) ends with no objection.

Standing aside is recorded and never stops anything. Abstaining counts toward a quorum only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from .errors import FieldErrors, Invalid


class Method(StrEnum):
    CONSENT = "consent"
    CONSENSUS = "consensus"
    MAJORITY = "majority"
    SUPERMAJORITY = "supermajority"
    LAZY_CONSENSUS = "lazy_consensus"


class Position(StrEnum):
    AGREE = "agree"  # consent, consensus, lazy consensus: "I can live with it"
    OBJECT = "object"  # consent, lazy consensus: a reasoned objection
    BLOCK = "block"  # consensus: a reasoned block
    STAND_ASIDE = "stand_aside"  # consent, consensus: recorded, does not stop anything
    YES = "yes"  # majority, supermajority
    NO = "no"
    ABSTAIN = "abstain"


POSITIONS: dict[Method, frozenset[Position]] = {
    Method.CONSENT: frozenset({Position.AGREE, Position.OBJECT, Position.STAND_ASIDE}),
    Method.CONSENSUS: frozenset({Position.AGREE, Position.BLOCK, Position.STAND_ASIDE}),
    Method.MAJORITY: frozenset({Position.YES, Position.NO, Position.ABSTAIN}),
    Method.SUPERMAJORITY: frozenset({Position.YES, Position.NO, Position.ABSTAIN}),
    Method.LAZY_CONSENSUS: frozenset({Position.AGREE, Position.OBJECT}),
}
REASONED = frozenset({Position.OBJECT, Position.BLOCK})


class Status(StrEnum):
    OPEN = "open"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class Rules:
    """The decision rules a rulebook holds. Fractions are exact: no float decides anything."""

    duration: timedelta = timedelta(days=7)
    lazy_duration: timedelta = timedelta(hours=72)
    quorum: Fraction = Fraction(1, 3)  # of the eligible, for majority and supermajority
    supermajority: Fraction = Fraction(2, 3)
    modified_consensus: Fraction = Fraction(9, 10)
    override_blocks: bool = False  # may the second round's threshold override blocks?
    blocks_per_period: int | None = None  # per person; None: no limit
    block_period: timedelta = timedelta(days=365)


@dataclass(frozen=True)
class Vote:
    voter: str
    position: Position
    reason: str = ""
    withdrawn: bool = False  # an objection or block its author withdrew

    @property
    def stops(self) -> bool:
        return self.position in REASONED and not self.withdrawn


@dataclass(frozen=True)
class Round:
    """Where a proposal stands: its method, its round (consent: one per amendment; consensus:
    1, then 2 for modified consensus) and when the round's period ends."""

    method: Method
    closes_at: datetime
    number: int = 1


@dataclass(frozen=True)
class Tally:
    cast: int  # people who voted in this round (withdrawn objections count as cast)
    counts: Mapping[Position, int]
    unresolved: tuple[str, ...]  # voters whose objection or block stands

    @property
    def in_favour(self) -> int:
        return self.counts.get(Position.AGREE, 0) + self.counts.get(Position.YES, 0)


@dataclass(frozen=True)
class Decision:
    status: Status
    reason: str
    tally: Tally
    second_round: bool = False  # consensus: the first round failed and may go to a second


@dataclass(frozen=True)
class Ballot:
    """Votes checked for one round: at most one per person, each allowed by the method, every
    objection and block with a reason."""

    votes: tuple[Vote, ...] = field(default_factory=tuple)


def check_vote(method: Method, position: object, reason: str) -> Position:
    """A position this method allows, with the reason it needs."""
    errors = FieldErrors()
    try:
        chosen = Position(str(position))
    except ValueError:
        chosen = None
    allowed = POSITIONS[method]
    if chosen is None or chosen not in allowed:
        names = ", ".join(sorted(p.value for p in allowed))
        errors.add("position", f"Under {method.value}, vote one of: {names}.")
    elif chosen in REASONED and not reason.strip():
        what = "an objection" if chosen == Position.OBJECT else "a block"
        errors.add("reason", f"Say why: {what} always carries a reason.")
    errors.raise_if_any()
    assert chosen is not None  # noqa: S101 - raise_if_any raised otherwise
    return chosen


def check_block_allowed(rules: Rules, blocks_in_period: int) -> None:
    """Refuse a block beyond the rulebook's per-person limit for the period."""
    if rules.blocks_per_period is not None and blocks_in_period >= rules.blocks_per_period:
        raise Invalid.field(
            "position",
            f"You have used your {rules.blocks_per_period} block(s) for this period: object, "
            "stand aside or propose a change instead.",
        )


def ballot(method: Method, votes: Iterable[Vote]) -> Ballot:
    """The round's votes, checked: one per person, positions the method allows, reasons."""
    seen: set[str] = set()
    checked = []
    for vote in votes:
        if vote.voter in seen:
            raise Invalid.field("voter", f"{vote.voter} has already voted in this round.")
        seen.add(vote.voter)
        check_vote(method, vote.position, vote.reason)
        if vote.withdrawn and vote.position not in REASONED:
            raise Invalid.field("position", "Only an objection or a block is withdrawn.")
        checked.append(vote)
    return Ballot(tuple(sorted(checked, key=lambda v: v.voter)))


def tally(votes: Ballot) -> Tally:
    counts: dict[Position, int] = {}
    for vote in votes.votes:
        # Withdrawing an objection or a block is letting the proposal go ahead without one's
        # agreement: standing aside.
        position = Position.STAND_ASIDE if vote.withdrawn else vote.position
        counts[position] = counts.get(position, 0) + 1
    unresolved = tuple(v.voter for v in votes.votes if v.stops)
    return Tally(len(votes.votes), counts, unresolved)


def decide(
    current: Round, votes: Ballot, *, eligible: int, rules: Rules, now: datetime
) -> Decision:
    """Whether the proposal in `current` is open, passed or failed at `now`."""
    if eligible < 0:
        raise ValueError("eligible cannot be negative")
    counted = tally(votes)
    ended = now >= current.closes_at
    method = current.method
    if method in (Method.CONSENT, Method.LAZY_CONSENSUS):
        return _consent(counted, ended, lazy=method == Method.LAZY_CONSENSUS)
    if method == Method.CONSENSUS:
        return _consensus(current, counted, ended, eligible, rules)
    threshold = Fraction(1, 2) if method == Method.MAJORITY else rules.supermajority
    return _majority(
        counted, ended, eligible, rules.quorum, threshold, strict=method == Method.MAJORITY
    )


def may_end_early(current: Round, *, cast: int, eligible: int) -> bool:
    """Can a vote decide `current` before its period ends? Only a first consensus round in
    which everyone eligible has voted (it passes if they all agreed or stood aside). Every
    other decision waits for the end of the period, so a vote need not recount the ballot."""
    return current.method == Method.CONSENSUS and current.number == 1 and cast >= eligible


def _consent(counted: Tally, ended: bool, *, lazy: bool) -> Decision:
    if not ended:
        return Decision(Status.OPEN, "The period is still running.", counted)
    if counted.unresolved:
        who = ", ".join(counted.unresolved)
        return Decision(Status.FAILED, f"Objections were not resolved ({who}).", counted)
    what = "no objection" if lazy else "no unresolved objection"
    return Decision(Status.PASSED, f"The period ended with {what}.", counted)


def _consensus(
    current: Round, counted: Tally, ended: bool, eligible: int, rules: Rules
) -> Decision:
    if current.number == 1:
        # Unanimity among those who voted: everyone agreed or stood aside, someone agreed.
        unanimous = not counted.unresolved and counted.in_favour > 0
        if unanimous and counted.cast == eligible:
            return Decision(Status.PASSED, "Everyone agreed or stood aside.", counted)
        if not ended:
            return Decision(Status.OPEN, "Unanimity is sought; the round is still open.", counted)
        if unanimous:
            return Decision(Status.PASSED, "Everyone who voted agreed or stood aside.", counted)
        why = "a block stands" if counted.unresolved else "nobody agreed"
        return Decision(
            Status.FAILED,
            f"The first round ended without unanimity ({why}); it may go to a second round.",
            counted,
            second_round=True,
        )
    if not ended:
        return Decision(Status.OPEN, "The second round is still open.", counted)
    deciding = counted.cast - counted.counts.get(Position.STAND_ASIDE, 0)
    enough = deciding > 0 and Fraction(counted.in_favour, deciding) >= rules.modified_consensus
    if counted.unresolved and not (enough and rules.override_blocks):
        who = ", ".join(counted.unresolved)
        return Decision(Status.FAILED, f"A block still stands ({who}).", counted)
    if not enough:
        return Decision(
            Status.FAILED,
            f"Fewer than {percent(rules.modified_consensus)} of the votes were in favour.",
            counted,
        )
    return Decision(
        Status.PASSED, f"At least {percent(rules.modified_consensus)} were in favour.", counted
    )


def _majority(
    counted: Tally,
    ended: bool,
    eligible: int,
    quorum: Fraction,
    threshold: Fraction,
    *,
    strict: bool,
) -> Decision:
    if not ended:
        return Decision(Status.OPEN, "The vote is still open.", counted)
    if eligible == 0 or Fraction(counted.cast, eligible) < quorum:
        return Decision(
            Status.FAILED,
            f"The quorum of {percent(quorum)} of those eligible was not met.",
            counted,
        )
    yes = counted.counts.get(Position.YES, 0)
    deciding = yes + counted.counts.get(Position.NO, 0)
    share = Fraction(yes, deciding) if deciding else Fraction(0)
    won = share > threshold if strict else share >= threshold
    word = "more than" if strict else "at least"
    if won:
        return Decision(
            Status.PASSED, f"{word.capitalize()} {percent(threshold)} voted yes.", counted
        )
    return Decision(Status.FAILED, f"Not {word} {percent(threshold)} voted yes.", counted)


def amend(current: Round, votes: Ballot, *, now: datetime, rules: Rules) -> tuple[Round, Ballot]:
    """Consent: the proposer amends the text. A new round starts with a full period; the
    consents given to the old text no longer count, objections stand until withdrawn."""
    if current.method != Method.CONSENT:
        raise Invalid.field("method", "Only a consent proposal is amended in its round.")
    kept = tuple(v for v in votes.votes if v.stops)
    return Round(Method.CONSENT, now + rules.duration, current.number + 1), Ballot(kept)


def second_round(current: Round, *, now: datetime, rules: Rules) -> Round:
    """Consensus: after a first round without unanimity, a second round decided by modified
    consensus, with a full period and no votes yet."""
    if current.method != Method.CONSENSUS or current.number != 1:
        raise Invalid.field("method", "Only a consensus proposal's first round goes on.")
    return Round(Method.CONSENSUS, now + rules.duration, 2)


def opening(method: object, *, now: datetime, rules: Rules) -> Round:
    try:
        chosen = Method(str(method))
    except ValueError:
        names = ", ".join(m.value for m in Method)
        raise Invalid.field("method", f"Unknown decision method '{method}'; use {names}.") from None
    period = rules.lazy_duration if chosen == Method.LAZY_CONSENSUS else rules.duration
    return Round(chosen, now + period)


def percent(share: Fraction) -> str:
    """A share in words: "90 %", "66.7 %"."""
    value = share * 100
    if value.denominator == 1:
        return f"{value.numerator} %"
    tenths = round(value * 10)
    return f"{tenths // 10}.{tenths % 10} %"
