"""Money: integer minor units of one ISO 4217 currency. No floats, no conversion, no mixing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import Invalid

# Minor-unit digits of the currencies a commons may keep (ISO 4217).
CURRENCIES: dict[str, int] = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "BRL": 2, "MXN": 2, "ARS": 2, "CLP": 0,
    "COP": 2, "INR": 2, "CNY": 2, "JPY": 0, "KRW": 0, "ZAR": 2, "KES": 2, "NGN": 2, "XOF": 0,
    "XAF": 0, "MAD": 2, "TND": 3, "BHD": 3, "KWD": 3, "TRY": 2, "ILS": 2, "IDR": 2, "PHP": 2,
}  # fmt: skip
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
# A trillion in major units is far beyond any commons, and far inside a 64-bit integer.
MAX_MINOR = 10**15
AMOUNT_RE = re.compile(r"^[0-9]{1,16}(\.[0-9]+)?$")


@dataclass(frozen=True, order=True)
class Money:
    currency: str
    minor: int

    def __str__(self) -> str:
        return display(self.minor, self.currency)


def check_currency(code: object, field: str = "currency") -> str:
    text = str(code or "").strip().upper()
    if text not in CURRENCIES:
        raise Invalid.field(field, f"Unknown currency '{code}'; use an ISO 4217 code such as EUR.")
    return text


def parse_amount(raw: object, currency: str, field: str = "amount") -> int:
    """A positive decimal string ("12.50") in `currency`, as integer minor units."""
    if currency not in CURRENCIES:
        raise Invalid.field("currency", f"Unknown currency '{currency}'.")
    digits = CURRENCIES[currency]
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise Invalid.field(field, 'Give the amount as a decimal string, such as "12.50".')
    text = str(raw).strip()
    if not AMOUNT_RE.fullmatch(text):
        raise Invalid.field(field, 'Give a positive decimal amount, such as "12.50".')
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise Invalid.field(field, f"{currency} has {digits} decimal places at most.")
    minor = int(value.scaleb(digits))
    if minor <= 0:
        raise Invalid.field(field, "The amount must be greater than zero.")
    if minor > MAX_MINOR:
        raise Invalid.field(field, "The amount is too large.")
    return minor


def format_amount(minor: int, currency: str) -> str:
    """Minor units as the API's decimal string: 1250 EUR → "12.50"."""
    digits = CURRENCIES[currency]
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def display(minor: int, currency: str) -> str:
    """For people: "€52.50", "52.50 CHF"."""
    amount = format_amount(minor, currency)
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{amount} {currency}"
    return f"-{symbol}{amount[1:]}" if amount.startswith("-") else f"{symbol}{amount}"
