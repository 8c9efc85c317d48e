"""Value equations: validated data, every problem named by its path, exactly 100 % shared out."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain import equations as eq
from communs.domain.contributions import UNITS, Action
from communs.domain.errors import Invalid

Definition = dict[str, Any]


def base() -> Definition:
    return {
        "rates": {"hour": "25", "item": "1"},
        "buckets": [
            {"name": "infra", "percent": "10", "of": "whole", "to": "agent", "agent": "assoc"},
            {
                "name": "contributors",
                "percent": "100",
                "of": "remaining",
                "to": "contributors",
                "policy": "immediate",
                "window_days": 90,
                "rules": [
                    {"action": "work", "value": "quantity * hour", "claim": "equity"},
                    {
                        "action": "transfer",
                        "unit": "item",
                        "value": "quantity * item",
                        "claim": "debt",
                    },
                ],
            },
        ],
    }


def errors_of(definition: object) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        eq.parse_equation(definition)
    assert caught.value.status == 422
    assert caught.value.errors
    return caught.value.errors


def test_the_base_example_and_the_default_parse() -> None:
    equation = eq.parse_equation(base())
    assert [b.name for b in equation.buckets] == ["infra", "contributors"]
    assert equation.fractions() == [Fraction(1, 10), Fraction(9, 10)]
    assert equation.buckets[1].rule_for("work", "hour") is not None
    assert equation.buckets[1].rule_for("transfer", "kg") is None
    default = eq.DEFAULT
    assert sum(default.fractions()) == 1
    assert [(b.name, b.to) for b in default.buckets] == [
        ("upstream", eq.Target.UPSTREAM),
        ("contributors", eq.Target.CONTRIBUTORS),
    ]
    assert default.rates["hour"] == 25
    assert eq.parse_equation(default.definition).definition == default.definition
    assert eq.parse_equation(eq.DEFAULT_DEFINITION).definition == default.definition
    contributors = default.buckets[1]
    assert contributors.rule_for("deliverService", "hour").value.text == "quantity * hour"  # type: ignore[union-attr]
    assert contributors.rule_for("deliverService", "session").value.text == (  # type: ignore[union-attr]
        "quantity * artefact"
    )
    assert contributors.rule_for("cite", "citation").claim == eq.Claim.ONCE  # type: ignore[union-attr]


def test_fractions_of_what_remains() -> None:
    definition = base()
    definition["buckets"].insert(
        1, {"name": "half", "percent": "50", "of": "remaining", "to": "upstream"}
    )
    assert eq.parse_equation(definition).fractions() == [
        Fraction(1, 10),
        Fraction(9, 20),
        Fraction(9, 20),
    ]


def test_normalisation() -> None:
    definition = base()
    definition["rates"] = {"item": " 1.50 ", "hour": "025"}
    definition["buckets"][0].update(name="  infra ", percent="10.000")
    del definition["buckets"][0]["of"]  # "whole" by default
    definition["buckets"][1]["rules"][0]["value"] = "  quantity*hour "
    del definition["buckets"][1]["rules"][0]["claim"]  # "equity" by default
    normalised = eq.parse_equation(definition).definition
    assert normalised["rates"] == {"hour": "25", "item": "1.5"}
    assert list(normalised["rates"]) == ["hour", "item"]
    assert normalised["buckets"][0] == {
        "name": "infra",
        "percent": "10",
        "of": "whole",
        "to": "agent",
        "agent": "assoc",
    }
    assert normalised["buckets"][1]["rules"][0] == {
        "action": "work",
        "value": "quantity*hour",
        "claim": "equity",
    }
    assert eq.parse_equation(normalised).definition == normalised


def test_normalisation_keeps_every_digit() -> None:
    """The stored definition must be the equation that was computed with, not a rounding of it."""
    third = "33.33333333333333333333333333349"  # 31 significant digits
    last = "33.33333333333333333333333333302"
    assert Fraction(third) * 2 + Fraction(last) == 100
    definition = {
        "buckets": [
            {"name": name, "percent": percent, "to": "agent", "agent": name}
            for name, percent in [("a", third), ("b", third), ("c", last)]
        ]
    }
    equation = eq.parse_equation(definition)
    assert equation.definition["buckets"][0]["percent"] == third
    again = eq.parse_equation(equation.definition)
    assert again.fractions() == equation.fractions()
    precise = base()
    precise["rates"]["hour"] = "0.12345678901234567890123456789012"
    rates = eq.parse_equation(precise)
    assert rates.definition["rates"]["hour"] == "0.12345678901234567890123456789012"


def test_negative_zero_is_zero() -> None:
    definition = base()
    definition["rates"]["item"] = "-0.00"
    assert eq.parse_equation(definition).definition["rates"]["item"] == "0"


# ---- generated valid equations: the normalised definition is a fixed point ----

RULE_CHOICES: list[Definition] = [
    {"action": "work", "value": "quantity * hour"},
    {"action": "work", "unit": "hour", "value": " min(quantity, 8) * hour ", "claim": "equity"},
    {"action": "produce", "unit": "line", "value": "quantity / 100", "claim": "equity"},
    {"action": "produce", "value": "quantity * item + 1", "claim": "once"},
    {"action": "cite", "value": "quantity * 50", "claim": "once"},
    {"action": "transfer", "unit": "kg", "value": "quantity * item", "claim": "debt"},
    {"action": "use", "value": "max(quantity - 1, 0)", "claim": "equity"},
    {"action": "deliverService", "unit": "session", "value": "2 * hour", "claim": "debt"},
]
PERCENTS = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    left = Fraction(1)
    buckets: list[Definition] = []
    count = draw(st.integers(1, 4))
    for i in range(count):
        last = i == count - 1
        to = draw(st.sampled_from(["agent", "upstream", "contributors"]))
        if last:
            of, percent = "remaining", Decimal(100)
        else:
            of = draw(st.sampled_from(["whole", "remaining"]))
            percent = draw(PERCENTS)
            if of == "whole":  # never more than what is left
                percent = min(percent, Decimal(int(left * 10000)) / 100)
        left -= Fraction(percent) / 100 * (left if of == "remaining" else 1)
        text = str(percent)
        padded = text + ("0" if "." in text else ".0")  # same number, another spelling
        bucket: Definition = {
            "name": f" b{i} ",
            "percent": draw(st.sampled_from([text, padded, f" {text} "])),
        }
        if of != "whole" or draw(st.booleans()):
            bucket["of"] = of
        bucket["to"] = to
        if to == "agent":
            bucket["agent"] = draw(st.sampled_from(["assoc", "fund"]))
        if to == "contributors":
            bucket["policy"] = draw(st.sampled_from(["immediate", "balanced"]))
            bucket["window_days"] = draw(st.integers(1, eq.MAX_WINDOW_DAYS))
            bucket["rules"] = draw(st.lists(st.sampled_from(RULE_CHOICES), min_size=1, max_size=4))
        buckets.append(bucket)
    rates = {"hour": str(draw(PERCENTS)), "item": draw(st.sampled_from(["1", "0.50", "2.250"]))}
    return {"rates": rates, "buckets": buckets}


@settings(max_examples=150)
@given(definitions())
def test_parse_is_idempotent_on_its_normalised_definition(definition: Definition) -> None:
    first = eq.parse_equation(definition)
    second = eq.parse_equation(first.definition)
    assert second.definition == first.definition
    assert second.rates == first.rates
    assert second.fractions() == first.fractions()
    assert sum(first.fractions()) == 1
    assert [(b.name, b.percent, b.of, b.to, b.agent, len(b.rules)) for b in second.buckets] == [
        (b.name, b.percent, b.of, b.to, b.agent, len(b.rules)) for b in first.buckets
    ]
    assert [r.value.text for b in second.buckets for r in b.rules] == [
        r.value.text for b in first.buckets for r in b.rules
    ]


# ---- percentages that do not add up ----


def whole(name: str, percent: str) -> Definition:
    return {"name": name, "percent": percent, "of": "whole", "to": "agent", "agent": name}


@pytest.mark.parametrize(
    ("buckets", "path", "shown"),
    [
        ([whole("a", "50"), whole("b", "40")], "buckets", "90 %"),
        ([whole("a", "60"), whole("b", "50")], "buckets[1].percent", "only 40 % is left"),
        (
            [whole("a", "60"), whole("b", "30"), whole("c", "10.01")],
            "buckets[2].percent",
            "only 10 % is left",
        ),
        ([whole("a", "10"), {**whole("b", "90"), "of": "remaining"}], "buckets", "91 %"),
        (
            [whole("a", "60"), {**whole("b", "50"), "of": "remaining"}, whole("c", "30")],
            "buckets[2].percent",
            "only 20 % is left",
        ),
        ([whole("a", "99.99")], "buckets", "99.99 %"),
        (
            [whole("a", "33.333"), whole("b", "33.333"), whole("c", "33.333")],
            "buckets",
            "share out 99.999 %",
        ),
    ],
)
def test_percentages_must_share_out_exactly_100(
    buckets: list[Definition], path: str, shown: str
) -> None:
    errors = errors_of({"buckets": buckets})
    assert list(errors) == [path]
    assert shown in errors[path][0]


@pytest.mark.parametrize(
    "buckets",
    [
        [whole("a", "100")],
        [whole("a", "60"), whole("b", "40")],
        [whole("a", "33.333"), whole("b", "33.333"), whole("c", "33.334")],
        [whole("a", "10"), {**whole("b", "100"), "of": "remaining"}, whole("c", "0")],
        [{**whole("a", "50"), "of": "remaining"}, {**whole("b", "100"), "of": "remaining"}],
    ],
)
def test_percentages_that_share_out_exactly_100_are_accepted(buckets: list[Definition]) -> None:
    assert sum(eq.parse_equation({"buckets": buckets}).fractions()) == 1


# ---- every other problem, named by its path ----

Mutation = Callable[[Definition], object]


def at(path: str, value: object) -> Mutation:
    """Set the value at a dotted path such as 'buckets.1.rules.0.value' (None deletes it)."""

    def mutate(d: Definition) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if value is None:
            del node[key]
        else:
            node[key] = value

    return mutate


REFUSED: list[tuple[str, Mutation, str]] = [
    ("unknown top-level key", at("currency", "EUR"), "equation"),
    ("unknown bucket key", at("buckets.1.polcy", "balanced"), "buckets[1]"),
    ("unknown rule key", at("buckets.1.rules.0.unti", "hour"), "buckets[1].rules[0]"),
    ("rates not an object", at("rates", ["hour"]), "rates"),
    ("reserved rate name", at("rates.quantity", "2"), "rates.quantity"),
    ("rate named min", at("rates.min", "2"), "rates.min"),
    ("uppercase rate name", at("rates.Hour", "2"), "rates.Hour"),
    ("rate name with a dash", at("rates.hour-rate", "2"), "rates.hour-rate"),
    ("rate name starting with a digit", at("rates.1st", "2"), "rates.1st"),
    ("integer rate", at("rates.hour", 25), "rates.hour"),
    ("float rate", at("rates.hour", 2.5), "rates.hour"),
    ("boolean rate", at("rates.hour", True), "rates.hour"),
    ("list rate", at("rates.hour", [None]), "rates.hour"),
    ("negative rate", at("rates.hour", "-1"), "rates.hour"),
    ("rate too large", at("rates.hour", "1000000001"), "rates.hour"),
    ("NaN rate", at("rates.hour", "NaN"), "rates.hour"),
    ("infinite rate", at("rates.hour", "Infinity"), "rates.hour"),
    ("exponent rate", at("rates.hour", "1e3"), "rates.hour"),
    ("unicode digits rate", at("rates.hour", "١٢"), "rates.hour"),
    ("empty rate", at("rates.hour", ""), "rates.hour"),
    ("buckets missing", at("buckets", None), "buckets"),
    ("buckets empty", at("buckets", []), "buckets"),
    ("buckets not a list", at("buckets", {"a": 1}), "buckets"),
    ("too many buckets", at("buckets", [whole("a", "0")] * 21), "buckets"),
    ("bucket not an object", at("buckets.0", "infra"), "buckets[0]"),
    ("bucket without name", at("buckets.0.name", None), "buckets[0].name"),
    ("bucket with blank name", at("buckets.0.name", "  "), "buckets[0].name"),
    ("bucket name too long", at("buckets.0.name", "x" * 61), "buckets[0].name"),
    ("duplicate bucket names", at("buckets.0.name", "contributors"), "buckets"),
    ("missing percent", at("buckets.0.percent", None), "buckets[0].percent"),
    ("integer percent", at("buckets.0.percent", 10), "buckets[0].percent"),
    ("float percent", at("buckets.0.percent", 10.0), "buckets[0].percent"),
    ("negative percent", at("buckets.0.percent", "-5"), "buckets[0].percent"),
    ("percent over 100", at("buckets.0.percent", "100.01"), "buckets[0].percent"),
    ("percent as a fraction", at("buckets.0.percent", "1/10"), "buckets[0].percent"),
    ("percent with a sign", at("buckets.0.percent", "10%"), "buckets[0].percent"),
    ("unknown of", at("buckets.0.of", "half"), "buckets[0].of"),
    ("of as a list", at("buckets.0.of", ["whole"]), "buckets[0].of"),
    ("unknown target", at("buckets.0.to", "everyone"), "buckets[0].to"),
    ("target as an object", at("buckets.0.to", {"agent": 1}), "buckets[0].to"),
    ("missing target", at("buckets.0.to", None), "buckets[0].to"),
    ("agent bucket without agent", at("buckets.0.agent", None), "buckets[0].agent"),
    ("agent bucket with empty agent", at("buckets.0.agent", ""), "buckets[0].agent"),
    ("agent on a contributors bucket", at("buckets.1.agent", "ann"), "buckets[1].agent"),
    ("unknown policy", at("buckets.1.policy", "fair"), "buckets[1].policy"),
    ("policy as a list", at("buckets.1.policy", []), "buckets[1].policy"),
    ("zero window", at("buckets.1.window_days", 0), "buckets[1].window_days"),
    ("window too long", at("buckets.1.window_days", 3651), "buckets[1].window_days"),
    ("window as text", at("buckets.1.window_days", "30"), "buckets[1].window_days"),
    ("window as a boolean", at("buckets.1.window_days", True), "buckets[1].window_days"),
    ("window as a float", at("buckets.1.window_days", 30.0), "buckets[1].window_days"),
    (
        "rules on an agent bucket",
        at("buckets.0.rules", [{"action": "work", "value": "1"}]),
        "buckets[0].rules",
    ),
    ("contributors without rules", at("buckets.1.rules", None), "buckets[1].rules"),
    ("contributors with no rule", at("buckets.1.rules", []), "buckets[1].rules"),
    ("rules not a list", at("buckets.1.rules", {"action": "work"}), "buckets[1].rules"),
    (
        "too many rules",
        at("buckets.1.rules", [{"action": "work", "value": "1"}] * 51),
        "buckets[1].rules",
    ),
    ("rule not an object", at("buckets.1.rules.0", "work"), "buckets[1].rules[0]"),
    ("unknown action", at("buckets.1.rules.0.action", "steal"), "buckets[1].rules[0].action"),
    ("action as a list", at("buckets.1.rules.0.action", ["work"]), "buckets[1].rules[0].action"),
    ("unit of another action", at("buckets.1.rules.0.unit", "kg"), "buckets[1].rules[0].unit"),
    ("unknown claim", at("buckets.1.rules.0.claim", "forever"), "buckets[1].rules[0].claim"),
    ("claim as a list", at("buckets.1.rules.0.claim", []), "buckets[1].rules[0].claim"),
    ("missing value", at("buckets.1.rules.0.value", None), "buckets[1].rules[0].value"),
    (
        "unknown name in value",
        at("buckets.1.rules.0.value", "quantity * wage"),
        "buckets[1].rules[0].value",
    ),
    (
        "import in value",
        at("buckets.1.rules.1.value", "__import__('os')"),
        "buckets[1].rules[1].value",
    ),
    ("power in value", at("buckets.1.rules.0.value", "quantity ** 2"), "buckets[1].rules[0].value"),
    (
        "division by zero in value",
        at("buckets.1.rules.0.value", "quantity / 0"),
        "buckets[1].rules[0].value",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path"), [(m, p) for _, m, p in REFUSED], ids=[name for name, _, _ in REFUSED]
)
def test_each_problem_is_refused_naming_its_path(mutate: Mutation, path: str) -> None:
    definition = base()
    mutate(definition)
    errors = errors_of(definition)
    assert path in errors, errors
    assert all(message.strip() for message in errors[path])


def test_an_expression_problem_quotes_the_offending_part() -> None:
    definition = base()
    definition["buckets"][1]["rules"][0]["value"] = "quantity * wage"
    [message] = errors_of(definition)["buckets[1].rules[0].value"]
    assert "'wage' at character 12" in message
    assert "known: hour, item, quantity" in message


def test_a_refused_rate_is_not_offered_to_expressions() -> None:
    definition = base()
    definition["rates"]["Bonus"] = "3"
    definition["buckets"][1]["rules"][0]["value"] = "quantity * Bonus"
    errors = errors_of(definition)
    assert set(errors) == {"rates.Bonus", "buckets[1].rules[0].value"}


def test_every_problem_is_reported_at_once() -> None:
    definition = base()
    definition["extra"] = 1
    definition["rates"]["quantity"] = "1"
    definition["buckets"][0]["percent"] = "-1"
    definition["buckets"][1]["policy"] = "fair"
    definition["buckets"][1]["rules"][1]["claim"] = "forever"
    errors = errors_of(definition)
    assert set(errors) == {
        "equation",
        "rates.quantity",
        "buckets[0].percent",
        "buckets[1].policy",
        "buckets[1].rules[1].claim",
    }


@pytest.mark.parametrize("data", [None, [], "equation", 42, [("rates", {})]])
def test_an_equation_is_an_object(data: object) -> None:
    assert list(errors_of(data)) == ["equation"]


@pytest.mark.parametrize("unit", sorted({u for units in UNITS.values() for u in units}))
def test_units_are_checked_against_the_action(unit: str) -> None:
    for action in Action:
        definition = base()
        definition["buckets"][1]["rules"] = [{"action": action.value, "unit": unit, "value": "1"}]
        if unit in UNITS[action]:
            assert eq.parse_equation(definition).buckets[1].rules[0].unit == unit
        else:
            assert "buckets[1].rules[0].unit" in errors_of(definition)


def test_limits_are_inclusive() -> None:
    definition = base()
    definition["buckets"][1]["window_days"] = eq.MAX_WINDOW_DAYS
    definition["rates"]["big"] = str(10**9)
    definition["buckets"][1]["rules"] = [{"action": "work", "value": "1"}] * eq.MAX_RULES
    equation = eq.parse_equation(definition)
    assert equation.buckets[1].window_days == eq.MAX_WINDOW_DAYS
    assert len(equation.buckets[1].rules) == eq.MAX_RULES
    too_many = {f"r{i}": "1" for i in range(eq.MAX_RATES + 1)}
    assert "rates" in errors_of({**base(), "rates": too_many})


def test_parse_does_not_modify_its_input() -> None:
    definition = base()
    snapshot = copy.deepcopy(definition)
    eq.parse_equation(definition)
    assert definition == snapshot
