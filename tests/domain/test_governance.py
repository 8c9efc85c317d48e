"""Decision methods, as properties over every valid ballot: the order of votes never matters,
nothing is decided before the period ends (but consensus reached by everyone), one unresolved
objection stops consent, amending discards consents, stand-asides change nothing, thresholds
and quorum hold at their exact edges, and bad input is refused on the field it concerns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communs.domain import governance as gov
from communs.domain.errors import Invalid
from communs.domain.governance import (
    POSITIONS,
    REASONED,
    Ballot,
    Decision,
    Method,
    Position,
    Round,
    Rules,
    Status,
    Vote,
)

START = datetime(2026, 3, 1, 9, tzinfo=UTC)
RULES = Rules()
A, OBJ, B, S = Position.AGREE, Position.OBJECT, Position.BLOCK, Position.STAND_ASIDE
Y, N, ABS = Position.YES, Position.NO, Position.ABSTAIN
TICK = timedelta(microseconds=1)


# ---------------------------------------------------------------------------------------------
# Builders and strategies
# ---------------------------------------------------------------------------------------------


def vote(voter: str, position: Position, *, withdrawn: bool = False) -> Vote:
    return Vote(voter, position, "a reason" if position in REASONED else "", withdrawn)


def many(method: Method, *groups: tuple[Position, int], withdrawn: int = 0) -> Ballot:
    """A ballot of `count` votes per position; the first `withdrawn` reasoned votes withdrawn."""
    votes = []
    left = withdrawn
    for position, count in groups:
        for _ in range(count):
            gone = position in REASONED and left > 0
            left -= gone
            votes.append(vote(f"p{len(votes):03d}", position, withdrawn=gone))
    return gov.ballot(method, votes)


def decide(
    method: Method,
    votes: Ballot,
    *,
    eligible: int,
    rules: Rules = RULES,
    number: int = 1,
    ended: bool = True,
) -> Decision:
    closes_at = START + rules.duration
    now = closes_at if ended else closes_at - TICK
    return gov.decide(
        Round(method, closes_at, number), votes, eligible=eligible, rules=rules, now=now
    )


names = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=4), unique=True, max_size=14)
fractions = st.fractions(min_value=0, max_value=1, max_denominator=12)


@st.composite
def votes_for(draw: st.DrawFn, method: Method) -> list[Vote]:
    """Valid votes for `method`, in the order they happened to arrive."""
    allowed = sorted(POSITIONS[method])
    votes = []
    for voter in draw(names):
        position = draw(st.sampled_from(allowed))
        reasoned = position in REASONED
        reason = draw(st.sampled_from(["it harms the commons", " why ", ""]))
        if reasoned and not reason.strip():
            reason = "it harms the commons"
        withdrawn = reasoned and draw(st.booleans())
        votes.append(Vote(voter, position, reason, withdrawn))
    return votes


@st.composite
def rulebooks(draw: st.DrawFn) -> Rules:
    return Rules(
        duration=timedelta(days=draw(st.integers(1, 30))),
        quorum=draw(fractions),
        supermajority=draw(st.fractions(min_value=Fraction(1, 2), max_value=1, max_denominator=12)),
        modified_consensus=draw(
            st.fractions(min_value=Fraction(1, 2), max_value=1, max_denominator=20)
        ),
        override_blocks=draw(st.booleans()),
    )


@dataclass(frozen=True)
class Case:
    current: Round
    votes: list[Vote]
    eligible: int
    rules: Rules
    now: datetime

    @property
    def ended(self) -> bool:
        return self.now >= self.current.closes_at

    def decide(self, votes: list[Vote] | None = None, eligible: int | None = None) -> Decision:
        return gov.decide(
            self.current,
            gov.ballot(self.current.method, self.votes if votes is None else votes),
            eligible=self.eligible if eligible is None else eligible,
            rules=self.rules,
            now=self.now,
        )


OFFSETS = [-timedelta(days=3), -timedelta(seconds=1), -TICK, timedelta(0), TICK, timedelta(days=2)]


@st.composite
def cases(draw: st.DrawFn, methods: list[Method] | None = None) -> Case:
    method = draw(st.sampled_from(methods or list(Method)))
    rules = draw(rulebooks())
    opened = gov.opening(method.value, now=START, rules=rules)
    number = draw(st.sampled_from([1, 2])) if method == Method.CONSENSUS else 1
    current = replace(opened, number=number)
    votes = draw(votes_for(method))
    eligible = len(votes) + draw(st.integers(0, 5))
    now = current.closes_at + draw(st.sampled_from(OFFSETS))
    return Case(current, votes, eligible, rules, now)


ENDED_CASES = cases().filter(lambda c: c.ended)


# ---------------------------------------------------------------------------------------------
# An independent reading of the rules, to compare with
# ---------------------------------------------------------------------------------------------


def expected(case: Case) -> Status:
    """The rulebook's outcome, recomputed from the votes without the module's tally."""
    method, votes = case.current.method, case.votes
    standing = [v for v in votes if v.position in REASONED and not v.withdrawn]
    agree = sum(v.position == A for v in votes)
    if method in (Method.CONSENT, Method.LAZY_CONSENSUS):
        if not case.ended:
            return Status.OPEN
        return Status.FAILED if standing else Status.PASSED
    if method == Method.CONSENSUS and case.current.number == 1:
        unanimous = not standing and agree > 0
        if unanimous and len(votes) == case.eligible:
            return Status.PASSED
        if not case.ended:
            return Status.OPEN
        return Status.PASSED if unanimous else Status.FAILED
    if not case.ended:
        return Status.OPEN
    if method == Method.CONSENSUS:
        asides = sum(v.position == S or v.withdrawn for v in votes)
        deciding = len(votes) - asides
        enough = deciding > 0 and Fraction(agree, deciding) >= case.rules.modified_consensus
        if standing and not case.rules.override_blocks:
            return Status.FAILED
        return Status.PASSED if enough else Status.FAILED
    # majority, supermajority
    if case.eligible == 0 or Fraction(len(votes), case.eligible) < case.rules.quorum:
        return Status.FAILED
    yes = sum(v.position == Y for v in votes)
    no = sum(v.position == N for v in votes)
    if yes + no == 0:
        return Status.FAILED
    share = Fraction(yes, yes + no)
    if method == Method.MAJORITY:
        return Status.PASSED if share > Fraction(1, 2) else Status.FAILED
    return Status.PASSED if share >= case.rules.supermajority else Status.FAILED


# ---------------------------------------------------------------------------------------------
# Properties common to every method
# ---------------------------------------------------------------------------------------------


@given(cases(), st.randoms(use_true_random=False))
def test_the_order_in_which_votes_arrive_never_matters(case: Case, random) -> None:
    shuffled = list(case.votes)
    random.shuffle(shuffled)
    assert case.decide(shuffled) == case.decide(list(reversed(case.votes))) == case.decide()


@given(cases())
def test_decide_never_raises_on_a_valid_ballot_and_the_tally_counts_every_vote(
    case: Case,
) -> None:
    decision = case.decide()
    assert decision.tally.cast == len(case.votes)
    assert sum(decision.tally.counts.values()) == len(case.votes)
    assert all(count > 0 for count in decision.tally.counts.values())
    assert decision.reason


@given(cases())
def test_withdrawn_objections_and_blocks_are_tallied_as_standing_aside(case: Case) -> None:
    counts = case.decide().tally.counts
    by_position = Counter(S if v.withdrawn else v.position for v in case.votes)
    assert dict(counts) == dict(by_position)
    assert case.decide().tally.unresolved == tuple(
        sorted(v.voter for v in case.votes if v.position in REASONED and not v.withdrawn)
    )


@given(cases())
def test_every_method_agrees_with_an_independent_reading_of_the_rulebook(case: Case) -> None:
    assert case.decide().status == expected(case)


@given(cases())
def test_before_the_period_ends_only_consensus_reached_by_everyone_is_decided(
    case: Case,
) -> None:
    decision = case.decide()
    if case.ended:
        assert decision.status != Status.OPEN
        return
    early = (
        case.current.method == Method.CONSENSUS
        and case.current.number == 1
        and len(case.votes) == case.eligible
        and any(v.position == A for v in case.votes)
        and not any(v.position == B and not v.withdrawn for v in case.votes)
    )
    assert decision.status == (Status.PASSED if early else Status.OPEN)
    assert not decision.second_round


@given(cases())
def test_only_a_failed_first_consensus_round_offers_a_second(case: Case) -> None:
    decision = case.decide()
    offered = (
        case.current.method == Method.CONSENSUS
        and case.current.number == 1
        and decision.status == Status.FAILED
    )
    assert decision.second_round == offered


@given(cases(), st.sampled_from(OFFSETS))
def test_the_clock_is_injected_and_the_boundary_instant_closes_the_period(
    case: Case, offset: timedelta
) -> None:
    """The same ballot, decided at two times on the same side of closes_at, gets one answer;
    closes_at itself is already after the period."""
    other = replace(case, now=case.current.closes_at + offset)
    if other.ended == case.ended:
        assert other.decide() == case.decide()
    at_close = replace(case, now=case.current.closes_at)
    assert at_close.ended
    assert at_close.decide().status != Status.OPEN
    just_before = replace(case, now=case.current.closes_at - TICK)
    if just_before.decide().status != Status.OPEN:
        assert just_before.decide() == at_close.decide()  # decided early, and stays so


# ---------------------------------------------------------------------------------------------
# Consent and lazy consensus
# ---------------------------------------------------------------------------------------------


CONSENTS = [Method.CONSENT, Method.LAZY_CONSENSUS]


def unresolved_free(votes: list[Vote]) -> list[Vote]:
    return [v for v in votes if not (v.position in REASONED and not v.withdrawn)]


@given(cases(CONSENTS).filter(lambda c: c.ended))
def test_one_unresolved_objection_stops_consent_and_removing_or_withdrawing_it_passes(
    case: Case,
) -> None:
    calm = unresolved_free(case.votes)
    objection = Vote("zz-objector", OBJ, "it breaks the licence")
    eligible = len(calm) + 1
    failed = case.decide([*calm, objection], eligible)
    assert failed.status == Status.FAILED
    assert failed.tally.unresolved == ("zz-objector",)
    assert "zz-objector" in failed.reason
    assert case.decide(calm, eligible).status == Status.PASSED
    withdrawn = replace(objection, withdrawn=True)
    assert case.decide([*calm, withdrawn], eligible).status == Status.PASSED


@given(cases(CONSENTS))
def test_consent_fails_at_the_end_exactly_when_an_objection_stands(case: Case) -> None:
    decision = case.decide()
    standing = any(v.position == OBJ and not v.withdrawn for v in case.votes)
    if not case.ended:
        assert decision.status == Status.OPEN
    else:
        assert decision.status == (Status.FAILED if standing else Status.PASSED)


def test_lazy_consensus_runs_for_its_own_72_hours_not_the_rulebook_duration() -> None:
    opened = gov.opening("lazy_consensus", now=START, rules=RULES)
    assert opened == Round(Method.LAZY_CONSENSUS, START + timedelta(hours=72), 1)
    silent = Ballot()
    before = gov.decide(opened, silent, eligible=5, rules=RULES, now=opened.closes_at - TICK)
    at = gov.decide(opened, silent, eligible=5, rules=RULES, now=opened.closes_at)
    assert (before.status, at.status) == (Status.OPEN, Status.PASSED)
    assert gov.opening("consent", now=START, rules=RULES).closes_at == START + RULES.duration


@given(
    cases([Method.CONSENT]),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_amending_keeps_exactly_the_standing_objections_and_opens_a_full_new_period(
    case: Case, when: datetime
) -> None:
    before = gov.ballot(Method.CONSENT, case.votes)
    new_round, kept = gov.amend(case.current, before, now=when, rules=case.rules)
    standing = tuple(
        sorted(
            (v for v in case.votes if v.position == OBJ and not v.withdrawn),
            key=lambda v: v.voter,
        )
    )
    assert kept.votes == standing
    assert not any(v.position in (A, S) or v.withdrawn for v in kept.votes)
    assert new_round == Round(Method.CONSENT, when + case.rules.duration, case.current.number + 1)
    # the consents given to the old text are gone: with them gone the new round passes at its
    # end only if no objection stands
    at_end = gov.decide(
        new_round, kept, eligible=case.eligible, rules=case.rules, now=new_round.closes_at
    )
    assert at_end.tally.counts.get(A, 0) == 0
    assert at_end.status == (Status.FAILED if standing else Status.PASSED)
    just_before = gov.decide(
        new_round, kept, eligible=case.eligible, rules=case.rules, now=new_round.closes_at - TICK
    )
    assert just_before.status == Status.OPEN


def test_an_amended_proposal_needs_consent_again_from_whoever_agreed() -> None:
    old = gov.opening("consent", now=START, rules=RULES)
    votes = many(Method.CONSENT, (A, 3), (OBJ, 2), (S, 1), withdrawn=1)
    later = START + timedelta(days=2)
    new_round, kept = gov.amend(old, votes, now=later, rules=RULES)
    assert [v.voter for v in kept.votes] == ["p004"]
    assert new_round.closes_at == later + RULES.duration
    assert new_round.number == 2


# ---------------------------------------------------------------------------------------------
# Stand-asides
# ---------------------------------------------------------------------------------------------


@given(
    cases([Method.CONSENT, Method.CONSENSUS]).filter(lambda c: c.ended),
    st.integers(1, 4),
)
def test_standing_aside_never_changes_the_outcome_of_consent_or_consensus(
    case: Case, asides: int
) -> None:
    extra = [Vote(f"zz-aside{i}", S) for i in range(asides)]
    eligible = case.eligible + asides
    assert (
        case.decide([*case.votes, *extra], eligible).status == case.decide(eligible=eligible).status
    )


@given(cases([Method.CONSENT, Method.CONSENSUS]).filter(lambda c: c.ended))
def test_turning_a_stand_aside_into_absence_changes_nothing(case: Case) -> None:
    present = [v for v in case.votes if v.position != S]
    assert case.decide(present).status == case.decide().status


# ---------------------------------------------------------------------------------------------
# Consensus
# ---------------------------------------------------------------------------------------------


@given(st.integers(1, 6), st.integers(0, 4), st.integers(0, 3))
def test_consensus_passes_early_once_every_eligible_person_agreed_or_stood_aside(
    agree: int, asides: int, withdrawn: int
) -> None:
    votes = many(Method.CONSENSUS, (A, agree), (S, asides), (B, withdrawn), withdrawn=withdrawn)
    everyone = agree + asides + withdrawn
    assert decide(Method.CONSENSUS, votes, eligible=everyone, ended=False).status == Status.PASSED
    waiting = decide(Method.CONSENSUS, votes, eligible=everyone + 1, ended=False)
    assert waiting.status == Status.OPEN
    assert decide(Method.CONSENSUS, votes, eligible=everyone + 1).status == Status.PASSED


@given(st.integers(0, 6), st.integers(1, 3))
def test_a_standing_block_fails_the_first_round_and_offers_a_second(
    agree: int, blocks: int
) -> None:
    votes = many(Method.CONSENSUS, (A, agree), (B, blocks))
    everyone = agree + blocks
    assert decide(Method.CONSENSUS, votes, eligible=everyone, ended=False).status == Status.OPEN
    decision = decide(Method.CONSENSUS, votes, eligible=everyone)
    assert (decision.status, decision.second_round) == (Status.FAILED, True)


@given(st.integers(0, 5))
def test_consensus_where_nobody_agreed_fails(asides: int) -> None:
    votes = many(Method.CONSENSUS, (S, asides))
    assert decide(Method.CONSENSUS, votes, eligible=asides, ended=False).status == Status.OPEN
    decision = decide(Method.CONSENSUS, votes, eligible=asides)
    assert (decision.status, decision.second_round) == (Status.FAILED, True)


@given(st.integers(1, 8), st.integers(0, 5), st.booleans())
def test_second_round_exactly_ninety_percent_passes_just_under_fails(
    k: int, asides: int, override: bool
) -> None:
    """9k in favour for k blocks is exactly 90 %; 9k - 1 for k is under. Stand-asides are not
    counted. The blocks stand, so only override_blocks lets the threshold carry it."""
    rules = Rules(override_blocks=override)
    edge = many(Method.CONSENSUS, (A, 9 * k), (B, k), (S, asides))
    under = many(Method.CONSENSUS, (A, 9 * k - 1), (B, k), (S, asides))
    eligible = 10 * k + asides
    at_edge = decide(Method.CONSENSUS, edge, eligible=eligible, rules=rules, number=2)
    below = decide(Method.CONSENSUS, under, eligible=eligible, rules=rules, number=2)
    assert at_edge.status == (Status.PASSED if override else Status.FAILED)
    assert below.status == Status.FAILED
    assert not at_edge.second_round
    assert not below.second_round


@given(st.integers(1, 8), st.integers(0, 5))
def test_second_round_withdrawn_blocks_are_stand_asides_not_votes_against(
    k: int, asides: int
) -> None:
    # 9k agree, k blocks withdrawn: 100 % of the deciding votes are in favour
    votes = many(Method.CONSENSUS, (A, 9 * k), (B, k), (S, asides), withdrawn=k)
    decision = decide(Method.CONSENSUS, votes, eligible=10 * k + asides, number=2)
    assert decision.status == Status.PASSED


@pytest.mark.parametrize(
    ("agree", "blocks", "override", "status"),
    [
        (9, 1, True, Status.PASSED),  # exactly 90 %, block overridden
        (9, 1, False, Status.FAILED),  # exactly 90 %, the block stands
        (8, 1, True, Status.FAILED),  # 88.9 %: override needs the threshold too
        (18, 2, True, Status.PASSED),
        (17, 2, True, Status.FAILED),
        (1, 0, False, Status.PASSED),
        (0, 0, True, Status.FAILED),  # nobody deciding
    ],
)
def test_second_round_block_with_and_without_override(
    agree: int, blocks: int, override: bool, status: Status
) -> None:
    votes = many(Method.CONSENSUS, (A, agree), (B, blocks))
    rules = Rules(override_blocks=override)
    before = decide(
        Method.CONSENSUS, votes, eligible=agree + blocks, rules=rules, number=2, ended=False
    )
    assert before.status == Status.OPEN  # no early pass in the second round
    assert (
        decide(Method.CONSENSUS, votes, eligible=agree + blocks, rules=rules, number=2).status
        == status
    )


def test_second_round_opens_a_full_period_with_round_two() -> None:
    first = gov.opening("consensus", now=START, rules=RULES)
    later = START + timedelta(days=9)
    assert gov.second_round(first, now=later, rules=RULES) == Round(
        Method.CONSENSUS, later + RULES.duration, 2
    )


# ---------------------------------------------------------------------------------------------
# Majority and supermajority
# ---------------------------------------------------------------------------------------------


@given(st.integers(1, 20), st.integers(0, 5))
def test_exactly_half_is_not_a_majority_one_more_is(k: int, abstain: int) -> None:
    eligible = 2 * k + 1 + abstain
    tie = many(Method.MAJORITY, (Y, k), (N, k), (ABS, abstain))
    more = many(Method.MAJORITY, (Y, k + 1), (N, k), (ABS, abstain))
    assert decide(Method.MAJORITY, tie, eligible=eligible).status == Status.FAILED
    assert decide(Method.MAJORITY, more, eligible=eligible).status == Status.PASSED


@given(st.integers(1, 20), st.integers(0, 5))
def test_exactly_two_thirds_is_a_supermajority_one_fewer_is_not(k: int, abstain: int) -> None:
    eligible = 3 * k + abstain
    edge = many(Method.SUPERMAJORITY, (Y, 2 * k), (N, k), (ABS, abstain))
    under = many(Method.SUPERMAJORITY, (Y, 2 * k - 1), (N, k), (ABS, abstain))
    assert decide(Method.SUPERMAJORITY, edge, eligible=eligible).status == Status.PASSED
    assert decide(Method.SUPERMAJORITY, under, eligible=eligible).status == Status.FAILED


@given(st.sampled_from([Method.MAJORITY, Method.SUPERMAJORITY]), st.integers(1, 15))
def test_exactly_the_quorum_is_met_one_fewer_is_not(method: Method, m: int) -> None:
    """A third of 3m is m voters; abstentions count toward it, and only toward it."""
    eligible = 3 * m
    met = many(method, (Y, 1), (ABS, m - 1))
    short = many(method, (Y, 1), (ABS, m - 2)) if m > 1 else Ballot()
    assert decide(method, met, eligible=eligible).status == Status.PASSED
    failed = decide(method, short, eligible=eligible)
    assert failed.status == Status.FAILED
    assert "quorum" in failed.reason


@given(cases([Method.MAJORITY, Method.SUPERMAJORITY]).filter(lambda c: c.ended))
def test_majorities_match_fraction_arithmetic_of_quorum_and_threshold(case: Case) -> None:
    votes = Counter(v.position for v in case.votes)
    cast = sum(votes.values())
    quorate = case.eligible > 0 and Fraction(cast, case.eligible) >= case.rules.quorum
    deciding = votes[Y] + votes[N]
    share = Fraction(votes[Y], deciding) if deciding else None
    if case.current.method == Method.MAJORITY:
        won = share is not None and share > Fraction(1, 2)
    else:
        won = share is not None and share >= case.rules.supermajority
    decision = case.decide()
    assert decision.status == (Status.PASSED if quorate and won else Status.FAILED)
    assert ("quorum" in decision.reason) == (not quorate)


@given(cases([Method.MAJORITY, Method.SUPERMAJORITY]).filter(lambda c: c.ended))
def test_abstaining_counts_toward_the_quorum_only(case: Case) -> None:
    """Turning an abstention into absence never helps; once quorate, abstentions change
    nothing."""
    present = [v for v in case.votes if v.position != ABS]
    with_abstentions, without = case.decide(), case.decide(present)
    if without.status == Status.PASSED:
        assert with_abstentions.status == Status.PASSED
    if "quorum" not in without.reason:
        assert with_abstentions.status == without.status


def test_no_eligible_voters_never_reaches_a_quorum() -> None:
    for method in (Method.MAJORITY, Method.SUPERMAJORITY):
        assert decide(method, Ballot(), eligible=0).status == Status.FAILED


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def field_of(caught: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return set(caught.value.errors)


@pytest.mark.parametrize("method", ["unanimity", "", None, "CONSENT"])
def test_an_unknown_method_is_refused_on_method(method: object) -> None:
    with pytest.raises(Invalid) as caught:
        gov.opening(method, now=START, rules=RULES)
    assert field_of(caught) == {"method"}


@pytest.mark.parametrize(
    ("method", "position"),
    [
        (Method.CONSENT, "veto"),
        (Method.CONSENT, Position.BLOCK),
        (Method.CONSENT, Position.YES),
        (Method.CONSENSUS, Position.OBJECT),
        (Method.CONSENSUS, Position.NO),
        (Method.MAJORITY, Position.AGREE),
        (Method.SUPERMAJORITY, Position.STAND_ASIDE),
        (Method.LAZY_CONSENSUS, Position.STAND_ASIDE),
        (Method.LAZY_CONSENSUS, Position.BLOCK),
    ],
)
def test_a_position_the_method_does_not_allow_is_refused_on_position(
    method: Method, position: object
) -> None:
    with pytest.raises(Invalid) as caught:
        gov.check_vote(method, position, "a reason")
    assert field_of(caught) == {"position"}
    with pytest.raises(Invalid) as caught:
        gov.ballot(method, [Vote("ana", position, "a reason")])  # type: ignore[arg-type]
    assert field_of(caught) == {"position"}


@pytest.mark.parametrize(
    ("method", "position"),
    [
        (Method.CONSENT, Position.OBJECT),
        (Method.LAZY_CONSENSUS, Position.OBJECT),
        (Method.CONSENSUS, Position.BLOCK),
    ],
)
@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_objection_or_block_without_a_reason_is_refused_on_reason(
    method: Method, position: Position, reason: str
) -> None:
    with pytest.raises(Invalid) as caught:
        gov.check_vote(method, position, reason)
    assert field_of(caught) == {"reason"}
    with pytest.raises(Invalid) as caught:
        gov.ballot(method, [Vote("ana", position, reason)])
    assert field_of(caught) == {"reason"}


@given(st.sampled_from(list(Method)))
def test_every_allowed_position_is_accepted_with_its_reason(method: Method) -> None:
    for position in POSITIONS[method]:
        assert gov.check_vote(method, position.value, "because") == position
        if position not in REASONED:
            assert gov.check_vote(method, position, "") == position


@given(cases())
def test_voting_twice_in_a_round_is_refused_on_voter(case: Case) -> None:
    method = case.current.method
    first = Vote("twice", sorted(POSITIONS[method])[0], "a reason")
    with pytest.raises(Invalid) as caught:
        gov.ballot(method, [first, *case.votes, first])
    assert field_of(caught) == {"voter"}


@pytest.mark.parametrize(
    ("method", "position"),
    [
        (Method.CONSENT, Position.AGREE),
        (Method.CONSENT, Position.STAND_ASIDE),
        (Method.CONSENSUS, Position.AGREE),
        (Method.LAZY_CONSENSUS, Position.AGREE),
        (Method.MAJORITY, Position.NO),
    ],
)
def test_only_an_objection_or_block_is_withdrawn(method: Method, position: Position) -> None:
    with pytest.raises(Invalid) as caught:
        gov.ballot(method, [Vote("ana", position, "", withdrawn=True)])
    assert field_of(caught) == {"position"}


@pytest.mark.parametrize(("limit", "used"), [(0, 0), (1, 1), (2, 2), (2, 5)])
def test_a_block_beyond_the_limit_is_refused_on_position(limit: int, used: int) -> None:
    with pytest.raises(Invalid) as caught:
        gov.check_block_allowed(Rules(blocks_per_period=limit), used)
    assert field_of(caught) == {"position"}


@pytest.mark.parametrize(("limit", "used"), [(None, 0), (None, 1000), (1, 0), (3, 2)])
def test_a_block_within_the_limit_is_allowed(limit: int | None, used: int) -> None:
    gov.check_block_allowed(Rules(blocks_per_period=limit), used)


@pytest.mark.parametrize(
    "current",
    [
        Round(Method.CONSENT, START),
        Round(Method.MAJORITY, START),
        Round(Method.LAZY_CONSENSUS, START),
        Round(Method.CONSENSUS, START, 2),
    ],
)
def test_only_a_first_consensus_round_goes_to_a_second(current: Round) -> None:
    with pytest.raises(Invalid) as caught:
        gov.second_round(current, now=START, rules=RULES)
    assert field_of(caught) == {"method"}


@pytest.mark.parametrize(
    "method", [Method.CONSENSUS, Method.MAJORITY, Method.SUPERMAJORITY, Method.LAZY_CONSENSUS]
)
def test_only_a_consent_proposal_is_amended(method: Method) -> None:
    with pytest.raises(Invalid) as caught:
        gov.amend(Round(method, START), Ballot(), now=START, rules=RULES)
    assert field_of(caught) == {"method"}


def test_a_negative_number_of_eligible_people_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        decide(Method.MAJORITY, Ballot(), eligible=-1)
