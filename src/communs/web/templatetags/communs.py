"""Small display helpers: translated labels for domain codes, quantities, times, hashes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

from communs.web.forms import LABELS

register = template.Library()


@register.filter
def label(code: object, category: str) -> Any:
    """The translated label of a code: `{{ c.unit|label:"unit" }}`."""
    return LABELS[category].get(str(code), code)


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
