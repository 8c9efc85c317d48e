"""Decision methods: each method's algebra, at its edges, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communs.domain import governance as gov
from communs.domain.errors import Invalid
from communs.domain.governance import Method, Position, Round, Rules, Status, Vote

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
RULES = Rules()
A, OBJ, B, S = Position.AGREE, Position.OBJECT, Position.BLOCK, Position.STAND_ASIDE
Y, N, ABS = Position.YES, Position.NO, Position.ABSTAIN


def votes(method: Method, *positions: Position, withdrawn: tuple[int, ...] = ()) -> gov.Ballot:
    return gov.ballot(
        method,
        [
            Vote(f"p{i:02d}", p, "a reason" if p in gov.REASONED else "", i in withdrawn)
            for i, p in enumerate(positions)
        ],
    )


def at_end(method: Method, ballot: gov.Ballot, eligible: int, rules: Rules = RULES, n: int = 1):
    return gov.decide(Round(method, NOW, n), ballot, eligible=eligible, rules=rules, now=NOW)


@st.composite
def ballots(draw: st.DrawFn, method: Method) -> list[Vote]:
    allowed = sorted(gov.POSITIONS[method])
    count = draw(st.integers(0, 12))
    found = []
    for i in range(count):
        position = draw(st.sampled_from(allowed))
        withdrawn = position in gov.REASONED and draw(st.booleans())
        reason = "why" if position in gov.REASONED else ""
        found.append(Vote(f"v{i}", position, reason, withdrawn))
    return found


@given(
    st.sampled_from(list(Method)).flatmap(lambda m: st.tuples(st.just(m), ballots(m))),
    st.randoms(),
    st.integers(0, 5),
    st.integers(-2, 2),
    st.integers(1, 2),
)
def test_order_of_votes_does_not_matter_and_tallies_add_up(
    drawn: tuple[Method, list[Vote]], rnd, extra: int, hours: int, number: int
) -> None:
    method, cast = drawn
    number = number if method == Method.CONSENSUS else 1
    shuffled = list(cast)
    rnd.shuffle(shuffled)
    now = NOW + timedelta(hours=hours)
    first = gov.decide(
        Round(method, NOW, number),
        gov.ballot(method, cast),
        eligible=len(cast) + extra,
        rules=RULES,
        now=now,
    )
    again = gov.decide(
        Round(method, NOW, number),
        gov.ballot(method, shuffled),
        eligible=len(cast) + extra,
        rules=RULES,
        now=now,
    )
    assert first == again
    assert sum(first.tally.counts.values()) == len(cast)
    if now < NOW and not (method == Method.CONSENSUS and number == 1):
        assert first.status == Status.OPEN


@given(ballots(Method.CONSENT))
def test_one_unresolved_objection_stops_consent_and_only_that(cast: list[Vote]) -> None:
    decision = at_end(Method.CONSENT, gov.ballot(Method.CONSENT, cast), len(cast))
    standing = [v for v in cast if v.position == OBJ and not v.withdrawn]
    assert (decision.status == Status.FAILED) == bool(standing)
    assert set(decision.tally.unresolved) == {v.voter for v in standing}


def test_stand_aside_and_withdrawn_objections_do_not_stop_consent() -> None:
    assert at_end(Method.CONSENT, votes(Method.CONSENT, A, S, OBJ, withdrawn=(2,)), 3).status == (
        Status.PASSED
    )
    assert at_end(Method.CONSENT, votes(Method.CONSENT), 5).status == Status.PASSED  # silence


def test_nothing_is_decided_before_the_period_ends() -> None:
    ballot = votes(Method.CONSENT, A, A)
    early = gov.decide(
        Round(Method.CONSENT, NOW), ballot, eligible=2, rules=RULES, now=NOW - timedelta(seconds=1)
    )
    assert early.status == Status.OPEN
    assert at_end(Method.CONSENT, ballot, 2).status == Status.PASSED


def test_amending_discards_consents_and_keeps_standing_objections() -> None:
    ballot = votes(Method.CONSENT, A, OBJ, S, OBJ, withdrawn=(3,))
    later = NOW + timedelta(days=2)
    new_round, kept = gov.amend(Round(Method.CONSENT, NOW), ballot, now=later, rules=RULES)
    assert [v.voter for v in kept.votes] == ["p01"]
    assert (new_round.number, new_round.closes_at) == (2, later + RULES.duration)
    with pytest.raises(Invalid) as caught:
        gov.amend(Round(Method.MAJORITY, NOW), ballot, now=later, rules=RULES)
    assert set(caught.value.errors) == {"method"}


def test_lazy_consensus_passes_after_72_hours_without_objection() -> None:
    opened = gov.opening("lazy_consensus", now=NOW, rules=RULES)
    assert opened.closes_at == NOW + timedelta(hours=72)
    quiet = gov.ballot(Method.LAZY_CONSENSUS, [])
    before = gov.decide(opened, quiet, eligible=9, rules=RULES, now=NOW + timedelta(hours=71))
    after = gov.decide(opened, quiet, eligible=9, rules=RULES, now=NOW + timedelta(hours=72))
    assert (before.status, after.status) == (Status.OPEN, Status.PASSED)
    objected = votes(Method.LAZY_CONSENSUS, OBJ)
    assert (
        gov.decide(opened, objected, eligible=9, rules=RULES, now=NOW + timedelta(hours=80)).status
        == Status.FAILED
    )


def test_consensus_first_round() -> None:
    early = gov.decide(
        Round(Method.CONSENSUS, NOW + timedelta(days=1)),
        votes(Method.CONSENSUS, A, A, S),
        eligible=3,
        rules=RULES,
        now=NOW,
    )
    assert early.status == Status.PASSED  # everyone agreed or stood aside: no need to wait
    blocked = at_end(Method.CONSENSUS, votes(Method.CONSENSUS, A, A, B), 3)
    assert (blocked.status, blocked.second_round) == (Status.FAILED, True)
    assert at_end(Method.CONSENSUS, votes(Method.CONSENSUS, A, B, withdrawn=(1,)), 2).status == (
        Status.PASSED
    )


@pytest.mark.parametrize(
    ("agree", "blocks", "override", "status"),
    [
        (9, 0, False, Status.PASSED),
        (18, 2, True, Status.PASSED),  # exactly 90 %, the blocks overridden
        (17, 2, True, Status.FAILED),  # 89.5 %: just under
        (18, 2, False, Status.FAILED),  # 90 %, but the blocks stand
    ],
)
def test_second_round_threshold_edges(
    agree: int, blocks: int, override: bool, status: Status
) -> None:
    ballot = votes(
        Method.CONSENSUS, *([A] * agree + [B] * blocks), S, S
    )  # stand-asides: not counted
    decided = at_end(
        Method.CONSENSUS, ballot, agree + blocks + 2, Rules(override_blocks=override), n=2
    )
    assert decided.status == status


def test_a_standing_block_stops_the_second_round_unless_the_rulebook_overrides_it() -> None:
    ballot = votes(Method.CONSENSUS, *([A] * 9), B)
    assert at_end(Method.CONSENSUS, ballot, 10, Rules(), n=2).status == Status.FAILED
    assert at_end(Method.CONSENSUS, ballot, 10, Rules(override_blocks=True), n=2).status == (
        Status.PASSED  # 9 of 10 = 90 %
    )
    short = votes(Method.CONSENSUS, *([A] * 8), B, B)
    assert at_end(Method.CONSENSUS, short, 10, Rules(override_blocks=True), n=2).status == (
        Status.FAILED  # 80 %: the override needs the threshold
    )


@given(st.integers(0, 12), st.integers(0, 12), st.integers(0, 6), st.integers(0, 8))
def test_majority_and_supermajority_match_the_arithmetic(
    yes: int, no: int, abstain: int, absent: int
) -> None:
    ballot_ = [Y] * yes + [N] * no + [ABS] * abstain
    eligible = len(ballot_) + absent
    for method, threshold, strict in (
        (Method.MAJORITY, Fraction(1, 2), True),
        (Method.SUPERMAJORITY, RULES.supermajority, False),
    ):
        decided = at_end(method, votes(method, *ballot_), eligible)
        quorum = eligible > 0 and Fraction(len(ballot_), eligible) >= RULES.quorum
        share = Fraction(yes, yes + no) if yes + no else Fraction(0)
        won = quorum and (share > threshold if strict else share >= threshold)
        assert decided.status == (Status.PASSED if won else Status.FAILED)


def test_majority_edges() -> None:
    assert at_end(Method.MAJORITY, votes(Method.MAJORITY, Y, N), 2).status == Status.FAILED
    assert at_end(Method.SUPERMAJORITY, votes(Method.SUPERMAJORITY, Y, Y, N), 3).status == (
        Status.PASSED  # exactly two thirds
    )
    # Quorum of a third: 3 of 9 is met, 2 of 9 is not.
    assert at_end(Method.MAJORITY, votes(Method.MAJORITY, Y, Y, ABS), 9).status == Status.PASSED
    assert at_end(Method.MAJORITY, votes(Method.MAJORITY, Y, Y), 9).status == Status.FAILED


@pytest.mark.parametrize(
    ("method", "vote", "field"),
    [
        (Method.CONSENT, Vote("a", Position.YES), "position"),
        (Method.CONSENSUS, Vote("a", Position.OBJECT, "x"), "position"),
        (Method.CONSENT, Vote("a", Position.OBJECT, "  "), "reason"),
        (Method.CONSENSUS, Vote("a", Position.BLOCK), "reason"),
        (Method.CONSENT, Vote("a", Position.AGREE, withdrawn=True), "position"),
    ],
)
def test_bad_votes_are_refused(method: Method, vote: Vote, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        gov.ballot(method, [vote])
    assert field in caught.value.errors


def test_double_votes_unknown_methods_and_block_limits_are_refused() -> None:
    with pytest.raises(Invalid) as double:
        gov.ballot(Method.MAJORITY, [Vote("a", Y), Vote("a", N)])
    assert "voter" in double.value.errors
    with pytest.raises(Invalid) as unknown:
        gov.opening("dictatorship", now=NOW, rules=RULES)
    assert "method" in unknown.value.errors
    gov.check_block_allowed(Rules(blocks_per_period=2), 1)
    with pytest.raises(Invalid):
        gov.check_block_allowed(Rules(blocks_per_period=2), 2)
    with pytest.raises(Invalid):
        gov.second_round(Round(Method.CONSENSUS, NOW, 2), now=NOW, rules=RULES)
    assert gov.second_round(Round(Method.CONSENSUS, NOW), now=NOW, rules=RULES) == Round(
        Method.CONSENSUS, NOW + RULES.duration, 2
    )


def test_a_withdrawn_block_counts_as_standing_aside() -> None:
    ballot = votes(Method.CONSENSUS, *([A] * 8), B, withdrawn=(8,))
    assert gov.tally(ballot).counts == {A: 8, S: 1}
    # Second round: 8 of 8 deciding votes in favour, the withdrawn block not counted against.
    assert at_end(Method.CONSENSUS, ballot, 9, n=2).status == Status.PASSED
