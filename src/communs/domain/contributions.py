"""What a contribution is, and the rules of its a-posteriori validation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import cast
from urllib.parse import urlsplit

from .errors import Conflict, FieldErrors, Forbidden


class Action(StrEnum):
    """ValueFlows actions a person can contribute."""

    WORK = "work"
    PRODUCE = "produce"
    DELIVER_SERVICE = "deliverService"
    CITE = "cite"
    USE = "use"
    TRANSFER = "transfer"


class Stream(StrEnum):
    """Which value stream a contribution belongs to."""

    LIVELIHOOD = "livelihood"
    PRO_BONO = "pro_bono"
    CARE = "care"


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# The units each action may be measured in; the first is the default.
UNITS: dict[Action, tuple[str, ...]] = {
    Action.WORK: ("hour",),
    Action.PRODUCE: ("item", "commit", "line", "page", "file", "design"),
    Action.DELIVER_SERVICE: ("hour", "session"),
    Action.CITE: ("citation",),
    Action.USE: ("hour", "day", "use"),
    Action.TRANSFER: ("item", "kg"),
}
ALL_UNITS = tuple(sorted({u for units in UNITS.values() for u in units}))

MAX_QUANTITY = Decimal("1000000")
QUANTITY_PLACES = 4
MAX_DESCRIPTION = 2000
MAX_URL = 500
# Plain ASCII decimals only: no exponent, no "_" separators, no other scripts' digits. A leading
# minus is read so that a negative quantity gets the "greater than zero" message.
QUANTITY_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# A little slack for clocks that disagree; anything later is a typo or a lie.
FUTURE_SLACK = timedelta(hours=24)


@dataclass(frozen=True)
class ContributionInput:
    action: Action
    quantity: Decimal
    unit: str
    description: str
    evidence_url: str
    occurred_at: datetime
    stream: Stream


def parse_quantity(raw: object, errors: FieldErrors) -> Decimal | None:
    """A positive decimal such as 2 or 1.5 (a string, or a JSON integer or float), at most
    `QUANTITY_PLACES` significant decimal places: "0.10000" is 0.1."""
    if isinstance(raw, bool) or raw is None or raw == "":
        errors.add("quantity", "A quantity is required.")
        return None
    text = str(raw).strip() if isinstance(raw, str | int | float | Decimal) else ""
    if not QUANTITY_RE.fullmatch(text):
        errors.add("quantity", "Enter a number, such as 2 or 1.5.")
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):  # pragma: no cover - the pattern only lets numbers by
        errors.add("quantity", "Enter a number, such as 2 or 1.5.")
        return None
    if value <= 0:
        errors.add("quantity", "The quantity must be greater than zero.")
        return None
    if value > MAX_QUANTITY:
        errors.add("quantity", f"The quantity cannot exceed {MAX_QUANTITY}.")
        return None
    if _places(value.normalize()) > QUANTITY_PLACES:
        errors.add("quantity", f"Use at most {QUANTITY_PLACES} decimal places.")
        return None
    if _places(value) > QUANTITY_PLACES:  # only trailing zeros beyond: drop them
        value = value.quantize(Decimal(1).scaleb(-QUANTITY_PLACES))
    return value


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def quantity_text(value: Decimal) -> str:
    """A quantity as the API and the log write it: plain decimal, no trailing zeros ("2.5")."""
    return format(value.normalize(), "f")


def has_nul(text: str) -> bool:
    """PostgreSQL cannot store NUL in text, so such input is refused before it gets there."""
    return "\x00" in text


def check_url(raw: str, errors: FieldErrors, field: str = "evidence_url") -> str:
    url = raw.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        scheme, hostname = parts.scheme, parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        scheme, hostname = "", None
    if len(url) > MAX_URL:
        errors.add(field, f"The address is longer than {MAX_URL} characters.")
    elif (
        scheme not in ("http", "https")
        or not hostname
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        errors.add(field, "Enter a full web address starting with http:// or https://.")
    return url


def check_contribution(
    *,
    action: str,
    quantity: object,
    unit: str | None,
    description: str,
    evidence_url: str | None,
    occurred_at: datetime | None,
    stream: str | None,
    now: datetime,
) -> ContributionInput:
    """Validate a contribution as submitted; raise `Invalid` listing every bad field."""
    errors = FieldErrors()
    try:
        act: Action | None = Action(action)
    except ValueError:
        act = None
        errors.add("action", f"Unknown action; choose one of {', '.join(a.value for a in Action)}.")
    qty = parse_quantity(quantity, errors)
    chosen_unit = unit or (UNITS[act][0] if act else "")
    if act is not None and chosen_unit not in UNITS[act]:
        errors.add("unit", f"'{act.value}' is measured in {', '.join(UNITS[act])}.")
    text = (description or "").strip()
    if not text:
        errors.add("description", "Describe what you contributed.")
    elif len(text) > MAX_DESCRIPTION:
        errors.add("description", f"Keep the description under {MAX_DESCRIPTION} characters.")
    elif has_nul(text):
        errors.add("description", "Remove the NUL character from the description.")
    url = check_url(evidence_url or "", errors)
    when = occurred_at or now
    if when.tzinfo is None:
        errors.add("occurred_at", "Give a time zone with the date and time.")
    elif when > now + FUTURE_SLACK:
        errors.add("occurred_at", "The date is in the future.")
    elif when.year < 1970:
        errors.add("occurred_at", "The date is before 1970.")
    try:
        value_stream: Stream | None = Stream(stream or Stream.LIVELIHOOD)
    except ValueError:
        value_stream = None
        errors.add("stream", f"Unknown value stream; choose one of {', '.join(Stream)}.")
    errors.raise_if_any()
    # raise_if_any() returned, so every field parsed.
    return ContributionInput(
        cast(Action, act),
        cast(Decimal, qty),
        chosen_unit,
        text,
        url,
        when,
        cast(Stream, value_stream),
    )


def check_review(
    *,
    status: str,
    reviewer_is_maintainer: bool,
    reviewer_is_contributor: bool,
    already_approved: bool,
) -> None:
    """May this person accept or reject this contribution now? Raise if not."""
    if not reviewer_is_maintainer:
        raise Forbidden("Only maintainers of this commons validate its contributions.")
    if reviewer_is_contributor:
        raise Forbidden("Nobody validates their own contribution.")
    if status != Status.SUBMITTED:
        raise Conflict(f"This contribution is already {status}.")
    if already_approved:
        raise Conflict("You have already approved this contribution.")


def status_after_approval(approvals: int, required: int) -> Status:
    return Status.ACCEPTED if approvals >= required else Status.SUBMITTED


def check_withdrawal(*, status: str, actor_is_contributor: bool) -> None:
    if not actor_is_contributor:
        raise Forbidden("Only the contributor can withdraw a contribution.")
    if status != Status.SUBMITTED:
        raise Conflict(f"Only a submitted contribution can be withdrawn; this one is {status}.")


def check_reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    errors = FieldErrors()
    field = "reason" if required else "note"
    if required and not text:
        errors.add(field, "Say why: a rejection always carries a reason.")
    elif len(text) > MAX_DESCRIPTION:
        errors.add(field, f"Keep it under {MAX_DESCRIPTION} characters.")
    elif has_nul(text):
        errors.add(field, "Remove the NUL character.")
    errors.raise_if_any()
    return text
