"""Small display helpers: translated labels for domain codes, quantities, money, times, hashes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

from communs.domain.money import CURRENCIES, display
from communs.web.forms import LABELS
from communs.web.ledger_forms import LEDGER_LABELS, pretty

register = template.Library()
ALL_LABELS = {**LABELS, **LEDGER_LABELS}


@register.filter
def label(code: object, category: str) -> Any:
    """The translated label of a code: `{{ c.unit|label:"unit" }}`."""
    return ALL_LABELS[category].get(str(code), code)


@register.filter
def qty(value: object) -> str:
    """A quantity without trailing zeros, with the decimal mark of the language."""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(value)
    normal = value.normalize()
    if normal == normal.to_integral_value():
        normal = normal.quantize(Decimal(1))
    return number_format(normal)


@register.filter
def short_hash(value: object) -> str:
    return str(value)[:12]


@register.filter
def iso_time(value: object) -> datetime | object:
    """A datetime from the ISO text stored in an event body (so `date` can format it)."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return value


@register.filter
def money(minor: object, currency: object) -> str:
    """Integer minor units for people: `{{ income.amount|money:income.currency }}` → "€52.50"."""
    code = str(currency)
    if isinstance(minor, bool) or not isinstance(minor, int) or code not in CURRENCIES:
        return f"{minor} {code}".strip()
    return display(minor, code)


@register.filter
def pretty_json(value: object) -> str:
    """A stored JSON document, indented for reading."""
    return pretty(value)
