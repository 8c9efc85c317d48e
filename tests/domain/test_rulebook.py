"""The rulebook as data: what it stores comes back the same, an amendment changes exactly the
rules it names, every bad value is refused on its own rule's name, and amending the rulebook
itself is never left to maintainers."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communs.domain import rulebook as rb
from communs.domain.commons import MAX_APPROVALS
from communs.domain.errors import Invalid
from communs.domain.governance import Method
from communs.domain.rulebook import DELEGABLE, FOUNDING_POWERS, NAMES, Power, Rulebook, Who

DEFAULTS = Rulebook()


def errors_of(call: Any, *args: Any) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as refused:
        call(*args)
    return refused.value.errors


# ---------------------------------------------------------------------------------------------
# Strategies: any valid rulebook
# ---------------------------------------------------------------------------------------------


def shares(low: Fraction, *, above: bool = False) -> st.SearchStrategy[Fraction]:
    drawn = st.fractions(min_value=low, max_value=1, max_denominator=10_000)
    return drawn.filter(lambda f: f > low) if above else drawn


@st.composite
def rulebooks(draw: st.DrawFn) -> Rulebook:
    chosen = draw(st.sets(st.sampled_from(list(Method)), min_size=1))
    methods = tuple(m for m in Method if m in chosen)
    return Rulebook(
        methods=methods,
        default_method=draw(st.sampled_from(methods)),
        duration_hours=draw(st.integers(1, rb.MAX_DAYS * 24)),
        lazy_consensus_hours=draw(st.integers(1, rb.MAX_DAYS * 24)),
        quorum=draw(shares(Fraction(0))),
        supermajority=draw(shares(Fraction(1, 2), above=True)),
        modified_consensus=draw(shares(Fraction(1, 2), above=True)),
        override_blocks=draw(st.booleans()),
        blocks_per_period=draw(st.none() | st.integers(0, rb.MAX_COUNT)),
        block_period_days=draw(st.integers(1, rb.MAX_DAYS)),
        who_proposes=draw(st.sampled_from(list(Who))),
        who_votes=draw(st.sampled_from([Who.CONTRIBUTORS, Who.MAINTAINERS])),
        eligibility_days=draw(st.integers(1, rb.MAX_DAYS)),
        eligibility_contributions=draw(st.integers(1, rb.MAX_COUNT)),
        approvals_required=draw(st.integers(1, MAX_APPROVALS)),
        promotion_contributions=draw(st.integers(1, rb.MAX_COUNT)),
        promotion_days=draw(st.integers(0, rb.MAX_DAYS)),
        emeritus_after_days=draw(st.integers(1, rb.MAX_DAYS)),
        maintainers_may=frozenset(draw(st.sets(st.sampled_from(sorted(DELEGABLE))))),
        equation_version=draw(st.integers(0, 50)),
        licence_version=draw(st.integers(0, 50)),
    )


# ---------------------------------------------------------------------------------------------
# parse, to_data, amend, diff
# ---------------------------------------------------------------------------------------------


@given(rulebooks())
def test_what_is_stored_is_read_back_the_same(book: Rulebook) -> None:
    stored = json.loads(json.dumps(book.to_data()))  # as the JSON column keeps it
    assert set(stored) == set(NAMES)
    assert rb.parse(stored) == book
    assert rb.parse(stored).to_data() == stored


AMENDABLE = sorted(set(NAMES) - rb.RECORDED)


@given(rulebooks(), rulebooks(), st.sets(st.sampled_from(AMENDABLE), min_size=1))
def test_an_amendment_changes_exactly_the_rules_it_names(
    current: Rulebook, other: Rulebook, names: set[str]
) -> None:
    """diff(a, amend(a, x)) names exactly those of x's rules whose value differs from a's."""
    changes = {name: other.to_data()[name] for name in names}
    expected = replace(current, **{name: getattr(other, name) for name in names})
    if expected.default_method not in expected.methods:
        assert set(errors_of(rb.amend, current, changes)) == {"default_method"}
        return
    if expected == current:
        assert set(errors_of(rb.amend, current, changes)) == {"set"}
        return
    amended = rb.amend(current, changes)
    assert amended == expected
    changed = [rule for rule, _, _ in rb.diff(current, amended)]
    assert set(changed) == {n for n in names if getattr(current, n) != getattr(other, n)}
    assert changed == [n for n in NAMES if n in changed]  # in the rulebook's order
    for rule, before, after in rb.diff(current, amended):
        assert (before, after) == (current.to_data()[rule], other.to_data()[rule])
    assert rb.diff(amended, amended) == []


def test_diff_lists_each_change_with_both_values() -> None:
    new = rb.amend(DEFAULTS, {"quorum": "50", "who_proposes": "anyone"})
    assert rb.diff(DEFAULTS, new) == [
        ("quorum", "1/3", "1/2"),
        ("who_proposes", "contributors", "anyone"),
    ]
    assert rb.diff(new, DEFAULTS) == [
        ("quorum", "1/2", "1/3"),
        ("who_proposes", "anyone", "contributors"),
    ]


def test_amend_refuses_unknown_rules_and_names_them() -> None:
    errors = errors_of(rb.amend, DEFAULTS, {"quorum": "1/2", "veto": True, "kings": 1})
    assert set(errors) == {"veto", "kings"}
    assert errors["veto"] == ["No such rule."]


@pytest.mark.parametrize("changes", [{}, None, [], "quorum=1/2", [("quorum", "1/2")]])
def test_amend_needs_named_rules(changes: object) -> None:
    assert set(errors_of(rb.amend, DEFAULTS, changes)) == {"set"}


@pytest.mark.parametrize(
    "idle",
    [
        {"quorum": "1/3"},
        {"quorum": "2/6"},  # the same share written otherwise
        {"methods": [m.value for m in reversed(Method)]},  # the same set, another order
        {"duration_hours": 168, "override_blocks": False},
        {"maintainers_may": sorted(p.value for p in FOUNDING_POWERS)},
    ],
)
def test_an_amendment_that_changes_nothing_is_refused(idle: dict[str, Any]) -> None:
    errors = errors_of(rb.amend, DEFAULTS, idle)
    assert errors == {"set": ["These values are the rules already in force."]}


def test_parse_needs_an_object_and_gives_missing_rules_their_default() -> None:
    assert errors_of(rb.parse, ["quorum"]) == {
        "rulebook": ["A rulebook is an object of named rules."]
    }
    # A version stored before a rule existed still reads, with that rule's default.
    assert rb.parse({}) == DEFAULTS
    partial = DEFAULTS.to_data()
    del partial["quorum"]
    partial["duration_hours"] = 48
    assert rb.parse(partial) == rb.Rulebook(duration_hours=48)
    partial["veto"] = True
    assert errors_of(rb.parse, partial) == {"veto": ["No such rule."]}


def test_what_is_in_force_is_recorded_not_amended() -> None:
    for rule in ("equation_version", "licence_version"):
        errors = errors_of(rb.amend, DEFAULTS, {rule: 3, "quorum": "1/2"})
        assert list(errors) == [rule]
        assert "propose that change instead" in errors[rule][0]


# Every rule with values it refuses; each is refused on that rule's own name.
BAD_VALUES: dict[str, list[object]] = {
    "methods": [[], ["vote"], "consent", [1], None, ["consent", "vote"]],
    "default_method": ["vote", None, 1, ""],
    "duration_hours": [0, -1, rb.MAX_DAYS * 24 + 1, "24", True, 1.5, None],
    "lazy_consensus_hours": [0, rb.MAX_DAYS * 24 + 1, "72", False],
    "quorum": ["101", "-1", "1/0", "4/3", "abc", "", 0.5, True, None, 101],
    "supermajority": ["1/2", "50", "40", "101", "0", "1"],  # "1" is 1 %, not a whole
    "modified_consensus": ["1/2", "50", "101", "2/1"],
    "override_blocks": ["yes", 1, 0, None, "true"],
    "blocks_per_period": [-1, rb.MAX_COUNT + 1, "3", True, 2.0],
    "block_period_days": [0, rb.MAX_DAYS + 1, None],
    "who_proposes": ["everyone", None, ""],
    "who_votes": ["everyone", "anyone", None],
    "eligibility_days": [0, rb.MAX_DAYS + 1],
    "eligibility_contributions": [0, -3, rb.MAX_COUNT + 1],
    "approvals_required": [0, MAX_APPROVALS + 1, "2"],
    "promotion_contributions": [0, rb.MAX_COUNT + 1],
    "promotion_days": [-1, rb.MAX_DAYS + 1],
    "emeritus_after_days": [0, rb.MAX_DAYS + 1],
    "maintainers_may": [
        "add_maintainer",
        ["amend_rulebook"],
        ["fly"],
        [1],
        None,
        ["add_maintainer", "amend_rulebook"],
    ],
    "equation_version": [-1, "1", None, 10**9 + 1],
    "licence_version": [-1, True, 1.5],
}


def test_every_rule_has_bad_values_listed() -> None:
    assert set(BAD_VALUES) == set(NAMES)


@pytest.mark.parametrize(
    ("rule", "value"), [(rule, value) for rule, values in BAD_VALUES.items() for value in values]
)
def test_a_bad_value_is_refused_on_its_rule(rule: str, value: object) -> None:
    errors = errors_of(rb.amend, DEFAULTS, {rule: value})
    assert set(errors) == {rule}, errors
    assert all(message for message in errors[rule])
    complete = {**DEFAULTS.to_data(), rule: value}
    assert set(errors_of(rb.parse, complete)) == {rule}


def test_all_bad_rules_are_named_at_once() -> None:
    bad = {rule: values[0] for rule, values in BAD_VALUES.items()}
    assert set(errors_of(rb.parse, bad)) == set(NAMES)


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        ("quorum", "0"),
        ("quorum", "100"),
        ("supermajority", "51"),
        ("modified_consensus", "100"),
        ("blocks_per_period", 0),
        ("blocks_per_period", None),
        ("promotion_days", 0),
        ("duration_hours", rb.MAX_DAYS * 24),
        ("maintainers_may", []),
        ("who_proposes", "anyone"),
        ("who_votes", "maintainers"),
    ],
)
def test_values_at_the_edges_are_accepted(rule: str, value: object) -> None:
    book = rb.amend(DEFAULTS, {rule: value}) if DEFAULTS.to_data()[rule] != value else DEFAULTS
    assert book.to_data()[rule] == rb.parse(book.to_data()).to_data()[rule]


@pytest.mark.parametrize(
    ("written", "share"),
    [
        ("2/3", Fraction(2, 3)),
        ("4/6", Fraction(2, 3)),
        ("90", Fraction(9, 10)),
        ("66.7", Fraction(667, 1000)),
        ("90%", Fraction(9, 10)),
        (" 90 % ", Fraction(9, 10)),
        ("12.345678", Fraction(12_345_678, 10**8)),
        (90, Fraction(9, 10)),
        ("0", Fraction(0)),
        ("100", Fraction(1)),
        ("1/1", Fraction(1)),
    ],
)
def test_shares_are_read_as_fractions_or_percentages(written: object, share: Fraction) -> None:
    assert rb.amend(DEFAULTS, {"quorum": written}).quorum == share


@pytest.mark.parametrize(
    "written",
    [
        "1e2",  # 100 % for Decimal, refused: exponents are not a way to write a share
        "1e99999999",  # whose exact fraction would take minutes to compute
        "1e-99999999",
        "٩٠",  # Arabic-Indic digits
        "1_0",
        "+90",
        "-5",
        "-1/3",
        "1/0",
        "2/3/4",
        "2 / 3",
        "abc",
        "",
        "%",
        "NaN",
        "Infinity",
        "12.1234567",  # more decimals than a rule needs
        "90.",
        ".5",
        0.9,
        True,
        None,
        ["2/3"],
        "3/2",  # more than 100 %
        "100.5",
        "1/12345678901",
    ],
)
def test_bad_shares_are_refused(written: object) -> None:
    errors = errors_of(rb.amend, DEFAULTS, {"quorum": written})
    assert set(errors) == {"quorum"}
    assert "2/3" in errors["quorum"][0]  # the message shows how to write one


def test_the_default_method_must_be_allowed() -> None:
    errors = errors_of(rb.amend, DEFAULTS, {"methods": ["majority", "supermajority"]})
    assert errors == {"default_method": ["The default method must be one of the methods allowed."]}
    errors = errors_of(rb.amend, DEFAULTS, {"default_method": "majority", "methods": ["consent"]})
    assert set(errors) == {"default_method"}
    book = rb.amend(DEFAULTS, {"methods": ["majority"], "default_method": "majority"})
    assert (book.methods, book.default_method) == ((Method.MAJORITY,), Method.MAJORITY)


def test_voting_is_never_open_to_anyone() -> None:
    assert set(errors_of(rb.amend, DEFAULTS, {"who_votes": "anyone"})) == {"who_votes"}
    assert rb.amend(DEFAULTS, {"who_proposes": "anyone"}).who_proposes == Who.ANYONE


@given(st.sets(st.sampled_from(list(Power))))
def test_amending_the_rulebook_is_never_left_to_maintainers(powers: set[Power]) -> None:
    written = sorted(p.value for p in powers)
    if Power.AMEND_RULEBOOK in powers:
        errors = errors_of(rb.amend, DEFAULTS, {"maintainers_may": written})
        assert set(errors) == {"maintainers_may"}
    elif frozenset(powers) != DEFAULTS.maintainers_may:
        assert rb.amend(DEFAULTS, {"maintainers_may": written}).maintainers_may == powers


def test_founding_powers_are_delegable_and_leave_out_the_rulebook_and_removals() -> None:
    assert Power.AMEND_RULEBOOK not in DELEGABLE
    assert FOUNDING_POWERS <= DELEGABLE
    assert Power.REMOVE_MAINTAINER not in FOUNDING_POWERS
    assert DEFAULTS.maintainers_may == FOUNDING_POWERS


def test_every_rule_is_described_and_the_defaults_are_a_valid_rulebook() -> None:
    assert set(rb.DESCRIPTIONS) == set(NAMES) == {f.name for f in fields(Rulebook)}
    assert rb.parse(DEFAULTS.to_data()) == DEFAULTS


def test_decision_rules_follow_the_rulebook() -> None:
    book = rb.amend(
        DEFAULTS,
        {
            "duration_hours": 48,
            "lazy_consensus_hours": 24,
            "quorum": "1/2",
            "supermajority": "3/4",
            "modified_consensus": "80",
            "override_blocks": True,
            "blocks_per_period": 2,
            "block_period_days": 30,
        },
    )
    rules = book.decision_rules()
    assert rules.duration == timedelta(hours=48)
    assert rules.lazy_duration == timedelta(hours=24)
    assert (rules.quorum, rules.supermajority, rules.modified_consensus) == (
        Fraction(1, 2),
        Fraction(3, 4),
        Fraction(4, 5),
    )
    assert rules.override_blocks is True
    assert (rules.blocks_per_period, rules.block_period) == (2, timedelta(days=30))
