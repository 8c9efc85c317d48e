"""A proposal's executable change, checked for its shape before anyone votes: each type's
valid form comes back normalised (and reads again the same), each bad form is refused on the
`change.<field>` it concerns."""

from __future__ import annotations

from typing import Any

import pytest

from communs.domain import changes
from communs.domain.changes import Change
from communs.domain.equations import parse_equation
from communs.domain.errors import Invalid
from communs.domain.rulebook import Power

EQUATION = {
    "rates": {"hour": "30"},
    "buckets": [
        {
            "name": "contributors",
            "percent": "100",
            "to": "contributors",
            "rules": [{"action": "work", "value": "quantity * hour", "claim": "equity"}],
        }
    ],
}
GROUP = {"slug": "infra", "name": "Infrastructure", "mandate": "Keep the servers up."}


def refused(raw: object) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as error:
        changes.parse(raw)
    assert error.value.status == 422
    return error.value.errors


VALID: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {"type": "amend_rulebook", "set": {"quorum": "1/2"}},
        {"type": "amend_rulebook", "set": {"quorum": "1/2"}},
    ),
    (
        {"type": "adopt_equation", "equation": EQUATION},
        # stored complete, with the defaults the author left out
        {"type": "adopt_equation", "equation": dict(parse_equation(EQUATION).definition)},
    ),
    (
        {"type": "change_licence", "profile": "mit"},  # SPDX identifiers in any case
        {"type": "change_licence", "profile": "MIT", "parameters": {}},
    ),
    (
        {"type": "change_licence", "profile": "CopyFair", "parameters": {"threshold": 3}},
        {
            "type": "change_licence",
            "profile": "CopyFair",
            "parameters": {
                **changes.licences.COPYFAIR_DEFAULTS,
                "threshold": 3,
                "fee": changes.licences.COPYFAIR_DEFAULTS["fee"],
            },
        },
    ),
    ({"type": "add_maintainer", "agent": " bob "}, {"type": "add_maintainer", "agent": "bob"}),
    ({"type": "remove_maintainer", "agent": "bob"}, {"type": "remove_maintainer", "agent": "bob"}),
    ({"type": "approve_expense", "expense": 7}, {"type": "approve_expense", "expense": 7}),
    (
        {"type": "set_approvals", "approvals_required": "2"},
        {"type": "set_approvals", "approvals_required": 2},
    ),
    (
        {**GROUP, "type": "create_working_group", "members": ["dave", "bob", "dave"]},
        {
            **GROUP,
            "type": "create_working_group",
            "members": ["bob", "dave"],
            "spending_cap": None,
            "currency": None,
            "cap_period_days": None,
        },
    ),
    (
        {**GROUP, "type": "create_working_group", "spending_cap": "250", "currency": "eur"},
        {
            **GROUP,
            "type": "create_working_group",
            "members": [],
            "spending_cap": "250.00",
            "currency": "EUR",
            "cap_period_days": 30,
        },
    ),
    (
        {
            **GROUP,
            "type": "create_working_group",
            "spending_cap": "1000",
            "currency": "JPY",
            "cap_period_days": 3650,
        },
        {
            **GROUP,
            "type": "create_working_group",
            "members": [],
            "spending_cap": "1000",
            "currency": "JPY",
            "cap_period_days": 3650,
        },
    ),
    (
        {"type": "close_working_group", "slug": "infra"},
        {"type": "close_working_group", "slug": "infra"},
    ),
]


def test_every_change_type_has_a_valid_example() -> None:
    assert {Power(raw["type"]) for raw, _ in VALID} == set(Power)


@pytest.mark.parametrize(("raw", "stored"), VALID)
def test_a_valid_change_is_normalised_and_reads_again_the_same(
    raw: dict[str, Any], stored: dict[str, Any]
) -> None:
    change = changes.parse(raw)
    assert change.type == Power(raw["type"])
    assert change.to_data() == stored
    again = changes.parse(change.to_data())  # what a proposal stores is parsed when it passes
    assert again == Change(change.type, change.data)
    assert change.summary()


@pytest.mark.parametrize("raw", [None, "add_maintainer", ["type"], 3])
def test_a_change_is_an_object(raw: object) -> None:
    assert refused(raw) == {"change": ["A change is an object with a 'type'."]}


@pytest.mark.parametrize("kind", [None, "", "fly", "AMEND_RULEBOOK", 3, ["amend_rulebook"]])
def test_an_unknown_type_is_refused_with_the_known_ones(kind: object) -> None:
    errors = refused({"type": kind} if kind is not None else {})
    assert set(errors) == {"change.type"}
    assert all(p.value in errors["change.type"][0] for p in Power)


@pytest.mark.parametrize(("raw", "_"), VALID)
def test_fields_of_another_type_are_refused(raw: dict[str, Any], _: object) -> None:
    errors = refused({**raw, "agent2": "x", "note": "y"})
    assert errors == {
        "change.agent2": [f"Not a field of {raw['type']}."],
        "change.note": [f"Not a field of {raw['type']}."],
    }


BAD: list[tuple[dict[str, Any], set[str]]] = [
    ({"type": "amend_rulebook"}, {"change.set"}),
    ({"type": "amend_rulebook", "set": {}}, {"change.set"}),
    ({"type": "amend_rulebook", "set": ["quorum"]}, {"change.set"}),
    ({"type": "adopt_equation"}, {"change.equation"}),
    ({"type": "adopt_equation", "equation": "quantity * 2"}, {"change.equation"}),
    ({"type": "adopt_equation", "equation": {"buckets": []}}, {"change.equation.buckets"}),
    ({"type": "change_licence", "profile": "nope"}, {"change.profile"}),
    ({"type": "change_licence"}, {"change.profile"}),
    ({"type": "change_licence", "profile": "MIT", "parameters": {"a": 1}}, {"change.parameters"}),
    ({"type": "change_licence", "profile": "MIT", "parameters": "x"}, {"change.parameters"}),
    (
        {"type": "change_licence", "profile": "CopyFair", "parameters": {"threshold": 0}},
        {"change.parameters.threshold"},
    ),
    ({"type": "add_maintainer"}, {"change.agent"}),
    ({"type": "add_maintainer", "agent": "Bob!"}, {"change.agent"}),
    ({"type": "add_maintainer", "agent": ""}, {"change.agent"}),
    ({"type": "add_maintainer", "agent": 42}, {"change.agent"}),  # a number is not a name
    ({"type": "add_maintainer", "agent": ["bob"]}, {"change.agent"}),
    ({"type": "remove_maintainer", "agent": "a" * 41}, {"change.agent"}),
    ({"type": "remove_maintainer", "agent": "bob\x00"}, {"change.agent"}),
    ({"type": "approve_expense"}, {"change.expense"}),
    ({"type": "approve_expense", "expense": "7"}, {"change.expense"}),
    ({"type": "approve_expense", "expense": 0}, {"change.expense"}),
    ({"type": "approve_expense", "expense": -3}, {"change.expense"}),
    ({"type": "approve_expense", "expense": True}, {"change.expense"}),
    ({"type": "approve_expense", "expense": 7.0}, {"change.expense"}),
    ({"type": "set_approvals", "approvals_required": 0}, {"change.approvals_required"}),
    ({"type": "set_approvals", "approvals_required": 21}, {"change.approvals_required"}),
    ({"type": "set_approvals", "approvals_required": "two"}, {"change.approvals_required"}),
    ({"type": "set_approvals"}, {"change.approvals_required"}),
    ({"type": "create_working_group"}, {"change.slug", "change.name", "change.mandate"}),
    ({**GROUP, "type": "create_working_group", "slug": "Infra!"}, {"change.slug"}),
    ({**GROUP, "type": "create_working_group", "slug": 12}, {"change.slug"}),
    ({**GROUP, "type": "create_working_group", "name": "n" * 201}, {"change.name"}),
    ({**GROUP, "type": "create_working_group", "name": "a\x00b"}, {"change.name"}),
    ({**GROUP, "type": "create_working_group", "mandate": "   "}, {"change.mandate"}),
    ({**GROUP, "type": "create_working_group", "mandate": "m" * 5001}, {"change.mandate"}),
    ({**GROUP, "type": "create_working_group", "members": "bob"}, {"change.members"}),
    ({**GROUP, "type": "create_working_group", "members": ["Bob!"]}, {"change.members"}),
    ({**GROUP, "type": "create_working_group", "members": [7]}, {"change.members"}),
    (
        {**GROUP, "type": "create_working_group", "members": [f"p{i}" for i in range(201)]},
        {"change.members"},
    ),
    # A spending cap needs its currency, a positive amount and a period from 1 to 3650 days.
    ({**GROUP, "type": "create_working_group", "spending_cap": "100"}, {"change.currency"}),
    (
        {**GROUP, "type": "create_working_group", "spending_cap": "100", "currency": "XXX1"},
        {"change.currency"},
    ),
    (
        {**GROUP, "type": "create_working_group", "spending_cap": "-5", "currency": "EUR"},
        {"change.spending_cap"},
    ),
    (
        {**GROUP, "type": "create_working_group", "spending_cap": "0", "currency": "EUR"},
        {"change.spending_cap"},
    ),
    (
        {**GROUP, "type": "create_working_group", "spending_cap": "1.001", "currency": "EUR"},
        {"change.spending_cap"},
    ),
    (
        {**GROUP, "type": "create_working_group", "spending_cap": 10.5, "currency": "EUR"},
        {"change.spending_cap"},
    ),
    *[
        (
            {
                **GROUP,
                "type": "create_working_group",
                "spending_cap": "100",
                "currency": "EUR",
                "cap_period_days": days,
            },
            {"change.cap_period_days"},
        )
        for days in (0, -1, 3651, "30", True, None)
    ],
    ({"type": "close_working_group"}, {"change.slug"}),
    ({"type": "close_working_group", "slug": "-infra"}, {"change.slug"}),
]


@pytest.mark.parametrize(("raw", "fields"), BAD)
def test_a_bad_change_is_refused_on_its_fields(raw: dict[str, Any], fields: set[str]) -> None:
    errors = refused(raw)
    assert set(errors) == fields, errors
    assert all(message for messages in errors.values() for message in messages)


def test_every_change_type_has_bad_examples() -> None:
    assert {Power(raw["type"]) for raw, _ in BAD} == set(Power)


def test_an_equation_that_does_not_parse_names_the_place_under_change_equation() -> None:
    bad_rule = {**EQUATION["buckets"][0], "rules": [{"action": "work", "value": "quantity *"}]}
    errors = refused({"type": "adopt_equation", "equation": {**EQUATION, "buckets": [bad_rule]}})
    assert list(errors) == ["change.equation.buckets[0].rules[0].value"]
    errors = refused({"type": "adopt_equation", "equation": {**EQUATION, "rates": {"Hour": "1"}}})
    assert all(field.startswith("change.equation.") for field in errors)


def test_a_cap_without_its_currency_says_so() -> None:
    errors = refused({**GROUP, "type": "create_working_group", "spending_cap": "100"})
    assert errors == {"change.currency": ["A spending cap needs its currency, such as EUR."]}


def test_a_group_without_a_cap_ignores_a_period_given_alone() -> None:
    change = changes.parse({**GROUP, "type": "create_working_group", "cap_period_days": 9})
    assert (change.data["spending_cap"], change.data["cap_period_days"]) == (None, None)


def test_summaries_say_what_the_change_does() -> None:
    said = {
        Power(raw["type"]): changes.parse(raw).summary()
        for raw, _ in VALID
        if raw["type"] != "change_licence" or raw["profile"] == "mit"
    }
    assert said[Power.AMEND_RULEBOOK] == "Amend the rulebook: quorum"
    assert said[Power.ADD_MAINTAINER] == "Make bob a maintainer"
    assert said[Power.REMOVE_MAINTAINER] == "Remove bob as a maintainer"
    assert said[Power.APPROVE_EXPENSE] == "Approve expense #7"
    assert said[Power.CHANGE_LICENCE] == "Put the commons under MIT"
    assert said[Power.SET_APPROVALS] == "Require 2 approval(s) per contribution"
    assert said[Power.CLOSE_WORKING_GROUP] == "Close the working group infra"
