"""Value expressions: a whitelist over Python's parser, exact Decimal evaluation, affine forms."""

from __future__ import annotations

import ast
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from communs.domain.errors import Invalid
from communs.domain.expressions import MAX_DEPTH, MAX_LENGTH, Expression, affine, parse

NAMES = frozenset({"quantity", "hour", "bonus"})
RATES = {"hour": Decimal("25"), "bonus": Decimal("2.5")}


def refusal(text: object, names: frozenset[str] = NAMES) -> str:
    with pytest.raises(Invalid) as caught:
        parse(text, names)
    assert caught.value.status == 422
    assert list(caught.value.errors) == ["expression"]
    [message] = caught.value.errors["expression"]
    assert caught.value.detail == f"expression: {message}"
    return message


@pytest.mark.parametrize(
    ("text", "part", "why"),
    [
        ("quantity * wage", "wage", "Unknown name"),
        ("os", "os", "Unknown name"),
        ("quantity.real", "quantity.real", "Not allowed"),
        ("().__class__", "().__class__", "Not allowed"),
        ("quantity.__class__.__mro__", "quantity.__class__.__mro__", "Not allowed"),
        ("hour[0]", "hour[0]", "Not allowed"),
        ("abs(quantity)", "abs", "Only min(…) and max(…)"),
        ("round(quantity, 2)", "round", "Only min(…) and max(…)"),
        ("__import__('os')", "__import__", "Only min(…) and max(…)"),
        ("__import__('os').system('true')", "__import__('os').system", "Only min(…) and max(…)"),
        ("quantity(2)", "quantity", "Only min(…) and max(…)"),
        ("min(quantity, key=hour)", "min(quantity, key=hour)", "plain arguments"),
        ("max(*[quantity])", "*[quantity]", "plain arguments"),
        ("max(**{})", "max(**{})", "plain arguments"),
        ("min()", "min()", "one or more"),
        ("quantity > 8", "quantity > 8", "Not allowed"),
        ("quantity == 8", "quantity == 8", "Not allowed"),
        ("quantity and hour", "quantity and hour", "Not allowed"),
        ("not quantity", "not quantity", "Not allowed"),
        ("~quantity", "~quantity", "Not allowed"),
        ("hour if quantity else bonus", "hour if quantity else bonus", "Not allowed"),
        ("lambda: 1", "lambda: 1", "Not allowed"),
        ("(lambda q: q)(quantity)", "lambda q: q", "Only min(…) and max(…)"),
        ("'25'", "'25'", "Only numbers"),
        ("quantity * '3'", "'3'", "Only numbers"),
        ("b'x'", "b'x'", "Only numbers"),
        ("True", "True", "Only numbers"),
        ("quantity * False", "False", "Only numbers"),
        ("None", "None", "Only numbers"),
        ("2j", "2j", "Only numbers"),
        ("quantity ** 2", "quantity ** 2", "Only + - * /"),
        ("quantity // 2", "quantity // 2", "Only + - * /"),
        ("quantity % 2", "quantity % 2", "Only + - * /"),
        ("quantity << 2", "quantity << 2", "Only + - * /"),
        ("quantity & 1", "quantity & 1", "Only + - * /"),
        ("f'{quantity}'", "f'{quantity}'", "Not allowed"),
        ("(x := 2)", "x := 2", "Not allowed"),
        ("[quantity]", "[quantity]", "Not allowed"),
        ("(quantity, 1)", "(quantity, 1)", "Not allowed"),
        ("{quantity}", "{quantity}", "Not allowed"),
        ("[q for q in quantity]", "[q for q in quantity]", "Not allowed"),
        ("1e400", "1e400", "too large"),
        ("quantity * taux_é + 1", "taux_é", "Unknown name"),  # byte offsets ≠ characters
        ("(quantity\n + wage)", "wage", "Unknown name"),
    ],
)
def test_the_whitelist_refuses_and_quotes_the_offending_part(
    text: str, part: str, why: str
) -> None:
    message = refusal(text)
    assert why in message
    assert f"'{part}' at character {text.index(part) + 1} of " in message


def test_unknown_names_list_the_known_ones() -> None:
    assert "known: bonus, hour, quantity" in refusal("wage")
    assert "known: none" in refusal("quantity", frozenset())


@pytest.mark.parametrize(
    "text",
    [
        "quantity *",
        "(quantity",
        "quantity +* 2",
        "import os",
        "quantity; 1",
        "quantity = 2",
        "١٢",
        "quantity\n+ 1",
    ],
)
def test_syntax_errors_are_refused(text: str) -> None:
    assert "not a valid expression" in refusal(text)


@pytest.mark.parametrize("text", [None, "", "   ", 25, b"quantity", ["quantity"]])
def test_refuses_empty_or_non_text(text: object) -> None:
    assert "Write an expression" in refusal(text)


def test_over_long_input_is_refused() -> None:
    longest = "1" + "0" * (MAX_LENGTH - 1)
    assert parse(longest, NAMES).evaluate({}) == 10 ** (MAX_LENGTH - 1)
    assert str(MAX_LENGTH) in refusal(longest + "0")
    assert str(MAX_LENGTH) in refusal("quantity + " * 30 + "1")


def test_too_deep_input_is_refused() -> None:
    assert parse("-" * MAX_DEPTH + "quantity", NAMES).evaluate({"quantity": Decimal(2)}) == 2
    assert "nested too deeply" in refusal("-" * (MAX_DEPTH + 1) + "quantity")
    assert "nested too deeply" in refusal("min(" * 30 + "1" + ")" * 30)
    assert "nested too deeply" in refusal(" + ".join(["1"] * (MAX_DEPTH + 2)))


@pytest.mark.parametrize(
    ("text", "zero"),
    [("quantity / 0", "0"), ("quantity / 0.0", "0.0"), ("quantity / (0)", "0"), ("1/00", "00")],
)
def test_literal_division_by_zero_is_refused_when_parsed(text: str, zero: str) -> None:
    message = refusal(text)
    assert "Division by zero" in message
    assert f"'{zero}' at character {text.rindex(zero) + 1}" in message


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("quantity / hour", {"quantity": 3, "hour": 0}),
        ("quantity / hour", {"quantity": 0, "hour": 0}),
        ("1 / (hour - 25)", {"hour": 25}),
        ("quantity / -0", {"quantity": 1}),
    ],
)
def test_division_by_zero_at_runtime_is_invalid(text: str, values: dict[str, int]) -> None:
    expression = parse(text, NAMES)
    with pytest.raises(Invalid) as caught:
        expression.evaluate({k: Decimal(v) for k, v in values.items()})
    assert list(caught.value.errors) == ["expression"]
    assert "divides by zero" in caught.value.errors["expression"][0]
    assert text in caught.value.errors["expression"][0]


def test_evaluation_is_exact_decimal() -> None:
    assert parse("0.1 + 0.2", NAMES).evaluate({}) == Decimal("0.3")
    assert parse("quantity * 0.1", NAMES).evaluate({"quantity": Decimal(3)}) == Decimal("0.3")
    assert parse("1.1 * 1.1", NAMES).evaluate({}) == Decimal("1.21")
    assert parse("quantity / 100", NAMES).evaluate({"quantity": Decimal(250)}) == Decimal("2.5")
    value = parse("min(quantity, 8) * hour + bonus", NAMES).evaluate(
        {"quantity": Decimal("12"), **RATES}
    )
    assert value == Decimal("202.5")
    assert isinstance(value, Decimal)
    assert parse("max(quantity, 1, bonus)", NAMES).evaluate({"quantity": Decimal(0), **RATES}) == (
        Decimal("2.5")
    )
    assert parse("-quantity + +hour", NAMES).evaluate({"quantity": Decimal(5), **RATES}) == 20
    assert parse("  quantity * hour  ", NAMES).text == "quantity * hour"
    assert parse("quantity * hour", NAMES).names == {"quantity", "hour"}
    assert parse("min(1, 2)", NAMES).names == frozenset()


def depth(text: str) -> int:
    def down(node: ast.AST) -> int:
        return 1 + max((down(child) for child in _operands(node)), default=-1)

    return down(ast.parse(text, mode="eval").body)


def _operands(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


# Expressions over small numbers and the operators, checked against exact fractions.
LITERALS = st.sampled_from(["0", "1", "2", "3", "7", "10", "0.5", "0.1", "2.25", "100"])


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from("+-*"), children).map(lambda t: f"({' '.join(t)})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        children.map(lambda c: f"-{c}"),
    )


def reference(text: str, variables: dict[str, Fraction]) -> Fraction:
    """The same arithmetic done independently, in fractions, by a tiny recursive evaluator."""

    def walk(node: ast.expr) -> Fraction:
        if isinstance(node, ast.Constant):
            return Fraction(str(node.value))
        if isinstance(node, ast.Name):
            return variables[node.id]
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        if isinstance(node, ast.Call):
            values = [walk(a) for a in node.args]
            return min(values) if node.func.id == "min" else max(values)  # type: ignore[attr-defined]
        assert isinstance(node, ast.BinOp)
        left, right = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right

    return walk(ast.parse(text, mode="eval").body)


ARITHMETIC = st.recursive(
    st.one_of(LITERALS, st.sampled_from(sorted(NAMES))), combine, max_leaves=8
).filter(lambda text: len(text) <= MAX_LENGTH)
# Few significant digits, so that every result fits the 40 digits evaluation keeps.
SMALL_QUANTITIES = st.decimals(min_value=0, max_value=99, places=1, allow_nan=False)
QUANTITIES = st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False)


@settings(max_examples=200)
@given(ARITHMETIC, SMALL_QUANTITIES)
def test_evaluation_matches_exact_arithmetic(text: str, quantity: Decimal) -> None:
    assume(depth(text) <= MAX_DEPTH)  # deeper ones are refused, as tested above
    expression = parse(text, NAMES)
    variables = {"quantity": quantity, **RATES}
    assert Fraction(expression.evaluate(variables)) == reference(
        text, {k: Fraction(v) for k, v in variables.items()}
    )


# Linear in quantity: built only from sums, products by constants and divisions by constants.
CONSTANTS = st.one_of(
    st.sampled_from(["hour", "bonus", "3", "0.5", "12.25", "min(hour, bonus)", "max(hour, 4)"]),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False).map(str),
)
DIVISORS = st.sampled_from(["2", "4", "5", "10", "0.5", "0.25", "bonus", "(bonus - 0.5)"])


def linear_step(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from("+-"), CONSTANTS).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(CONSTANTS, inner).map(lambda t: f"({t[0]} - {t[1]})"),
        st.tuples(inner, CONSTANTS).map(lambda t: f"{t[0]} * {t[1]}"),
        st.tuples(CONSTANTS, inner).map(lambda t: f"{t[1]} * ({t[0]})"),
        st.tuples(inner, DIVISORS).map(lambda t: f"({t[0]}) / {t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} + {t[1]})"),
        inner.map(lambda t: f"-({t})"),
    )


LINEAR = st.recursive(st.just("quantity"), linear_step, max_leaves=5).filter(
    lambda t: len(t) <= MAX_LENGTH
)


@settings(max_examples=200)
@given(LINEAR, QUANTITIES, st.decimals(min_value=6, max_value=1000, places=2, allow_nan=False))
def test_affine_gives_the_exact_linear_form(text: str, quantity: Decimal, hour: Decimal) -> None:
    assume(depth(text) <= MAX_DEPTH)
    expression = parse(text, NAMES)
    rates = {"hour": hour, "bonus": Decimal("2.5")}
    coefficients = affine(expression, "quantity", rates)
    assert coefficients is not None, text
    a, b = coefficients
    with localcontext() as ctx:
        ctx.prec = 200
        assert a * quantity + b == expression.evaluate({**rates, "quantity": quantity}), text
    exact = reference(
        text, {"quantity": Fraction(quantity), **{k: Fraction(v) for k, v in rates.items()}}
    )
    assert Fraction(a) * Fraction(quantity) + Fraction(b) == exact


@pytest.mark.parametrize(
    "text",
    [
        "min(quantity, 8)",
        "max(quantity, 1) * hour",
        "min(quantity, 8) * hour + 5",
        "hour / quantity",
        "hour / (quantity + 1)",
        "quantity * quantity",
        "(quantity + 1) * (quantity - 1)",
        "2 / (1 / quantity)",
        "max(quantity)",
        "quantity * min(quantity, hour)",
    ],
)
def test_affine_is_none_when_quantity_is_inside_min_max_or_a_divisor(text: str) -> None:
    assert affine(parse(text, NAMES), "quantity", RATES) is None


def test_affine_of_an_expression_without_the_name_is_a_constant() -> None:
    assert affine(parse("hour * 2 + bonus", NAMES), "quantity", RATES) == (
        Decimal(0),
        Decimal("52.5"),
    )
    assert affine(parse("min(hour, 8)", NAMES), "quantity", RATES) == (Decimal(0), Decimal(8))


def test_affine_examples() -> None:
    expression = parse("min(hour, 30) * quantity / 2 + bonus", NAMES)
    assert affine(expression, "quantity", RATES) == (Decimal("12.5"), Decimal("2.5"))
    assert affine(parse("quantity / 100", NAMES), "quantity", RATES) == (
        Decimal("0.01"),
        Decimal(0),
    )
    assert affine(parse("quantity - quantity", NAMES), "quantity", RATES) == (
        Decimal(0),
        Decimal(0),
    )


def test_affine_with_a_zero_divisor_rate_is_invalid() -> None:
    with pytest.raises(Invalid):
        affine(parse("quantity / hour", NAMES), "quantity", {"hour": Decimal(0)})


def test_expression_is_frozen_data() -> None:
    expression = parse("quantity", NAMES)
    assert isinstance(expression, Expression)
    with pytest.raises(AttributeError):
        expression.text = "os"  # type: ignore[misc]
