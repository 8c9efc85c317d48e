"""Money: integer minor units of one currency, decimal strings at the edges, never a float."""

from __future__ import annotations

import ast
import inspect
from decimal import Decimal, FloatOperation, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain import money
from communs.domain.errors import Invalid
from communs.domain.money import MAX_MINOR, check_currency, display, format_amount, parse_amount

CODES = sorted(money.CURRENCIES)


def refused(raw: object, currency: str = "EUR") -> str:
    with pytest.raises(Invalid) as caught:
        parse_amount(raw, currency)
    assert caught.value.status == 422
    assert list(caught.value.errors) == ["amount"]
    return caught.value.errors["amount"][0]


@st.composite
def decimal_texts(draw: st.DrawFn) -> tuple[str, str]:
    """A currency and a valid decimal string with at most its digits (leading zeros allowed)."""
    currency = draw(st.sampled_from(CODES))
    digits = money.CURRENCIES[currency]
    whole = draw(st.integers(0, MAX_MINOR // 10**digits))
    text = f"{whole:0{draw(st.integers(1, 4))}d}"
    places = draw(st.integers(0, digits))
    if places:
        text += "." + "".join(
            draw(st.lists(st.sampled_from("0123456789"), min_size=places, max_size=places))
        )
    return currency, text


@settings(max_examples=200)
@given(st.sampled_from(CODES), st.integers(1, MAX_MINOR))
def test_format_then_parse_round_trips_exactly(currency: str, minor: int) -> None:
    text = format_amount(minor, currency)
    digits = money.CURRENCIES[currency]
    assert text.count(".") == (1 if digits else 0)
    assert len(text.partition(".")[2]) == digits
    assert parse_amount(text, currency) == minor
    assert format_amount(parse_amount(text, currency), currency) == text


@settings(max_examples=200)
@given(decimal_texts())
def test_every_valid_decimal_string_is_accepted_exactly(case: tuple[str, str]) -> None:
    currency, text = case
    digits = money.CURRENCIES[currency]
    expected = Decimal(text) * 10**digits
    assert expected == int(expected)
    if not 0 < expected <= MAX_MINOR:
        refused(text, currency)
        return
    with localcontext() as ctx:
        ctx.traps[FloatOperation] = True  # any float mixed into the arithmetic would raise
        minor = parse_amount(text, currency)
    assert type(minor) is int
    assert minor == expected
    assert Decimal(format_amount(minor, currency)) == Decimal(text)


def test_examples() -> None:
    assert parse_amount("12.50", "EUR") == 1250
    assert parse_amount("12.5", "EUR") == 1250
    assert parse_amount("0.01", "EUR") == 1
    assert parse_amount("1200", "JPY") == 1200
    assert parse_amount("1.234", "TND") == 1234
    assert parse_amount(" 3 ", "USD") == 300
    assert parse_amount(12, "EUR") == 1200
    assert parse_amount(format_amount(MAX_MINOR, "EUR"), "EUR") == MAX_MINOR
    assert format_amount(1250, "EUR") == "12.50"
    assert format_amount(5, "EUR") == "0.05"
    assert format_amount(-5, "EUR") == "-0.05"
    assert format_amount(1200, "JPY") == "1200"
    assert format_amount(1, "TND") == "0.001"


@pytest.mark.parametrize(
    "raw",
    [
        "-1",
        "-0.01",
        "0",
        "0.00",
        "000",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "1e5",
        "1E5",
        "1_000",
        "",
        " ",
        "12,50",
        "12.",
        ".5",
        "+5",
        "0x10",
        "١٢",
        "１２",
        "12.5€",
        "€12.50",
        "1 000",
        "12.50.1",
        "1\n2",
    ],
)
def test_refuses_malformed_negative_and_zero(raw: str) -> None:
    refused(raw)


@pytest.mark.parametrize(
    ("raw", "currency"),
    [
        ("1.234", "EUR"),
        ("0.001", "USD"),
        ("1.5", "JPY"),
        ("1.0", "JPY"),
        ("1.2345", "TND"),
        ("12.500", "EUR"),
    ],
)
def test_refuses_more_decimals_than_the_currency_has(raw: str, currency: str) -> None:
    message = refused(raw, currency)
    assert currency in message
    assert f"{money.CURRENCIES[currency]} decimal places" in message


@pytest.mark.parametrize("raw", [True, False, 12.5, 1.0, Decimal("12.50"), None, [1], b"12"])
def test_refuses_anything_but_text_and_whole_numbers(raw: object) -> None:
    assert "decimal string" in refused(raw)


@pytest.mark.parametrize("raw", [0, -1])
def test_refuses_whole_numbers_that_are_not_positive(raw: int) -> None:
    refused(raw)


def test_refuses_above_the_maximum() -> None:
    assert parse_amount("10000000000000.00", "EUR") == MAX_MINOR
    assert "too large" in refused("10000000000000.01")
    assert "too large" in refused(str(MAX_MINOR + 1), "JPY")
    refused("9" * 17)
    refused(10**20)


def test_unknown_currency_is_a_clear_error_not_a_crash() -> None:
    with pytest.raises(Invalid) as caught:
        parse_amount("1", "XXX")
    assert list(caught.value.errors) == ["currency"]


@pytest.mark.parametrize("code", ["XXX", "", None, "EURO", "€", 978, "E UR", "eur\x00"])
def test_check_currency_refuses_unknown_codes(code: object) -> None:
    with pytest.raises(Invalid) as caught:
        check_currency(code)
    assert list(caught.value.errors) == ["currency"]
    assert "ISO 4217" in caught.value.errors["currency"][0]
    with pytest.raises(Invalid) as named:
        check_currency(code, field="payment.currency")
    assert list(named.value.errors) == ["payment.currency"]


@pytest.mark.parametrize(("code", "expected"), [("EUR", "EUR"), ("eur", "EUR"), (" chf ", "CHF")])
def test_check_currency_normalises_known_codes(code: str, expected: str) -> None:
    assert check_currency(code) == expected


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (5250, "EUR", "€52.50"),
        (100, "GBP", "£1.00"),
        (5, "USD", "$0.05"),
        (1200, "JPY", "¥1200"),
        (5250, "CHF", "52.50 CHF"),
        (1234, "TND", "1.234 TND"),
        (7, "CLP", "7 CLP"),
        (-500, "EUR", "-€5.00"),
        (-500, "CHF", "-5.00 CHF"),
        (0, "EUR", "€0.00"),
    ],
)
def test_display(minor: int, currency: str, text: str) -> None:
    assert display(minor, currency) == text
    assert str(money.Money(currency, minor)) == text


def test_no_float_anywhere_in_the_module() -> None:
    tree = ast.parse(inspect.getsource(money))
    floats = [
        node
        for node in ast.walk(tree)
        if (isinstance(node, ast.Constant) and isinstance(node.value, float))
        or (isinstance(node, ast.Name) and node.id == "float")
    ]
    assert floats == []
