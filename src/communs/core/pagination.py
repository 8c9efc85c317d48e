"""Keyset pagination: newest first, a cursor instead of an offset.

Page 1,000 costs what page 1 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

from communs.domain.errors import Invalid

M = TypeVar("M", bound=Model)
MAX_LIMIT = 200
# A cursor is a primary key: ASCII digits (str.isdigit() would also let "²" through to int()),
# no larger than a signed 64-bit integer.
CURSOR_RE = re.compile(r"[0-9]{1,19}")
MAX_CURSOR = 2**63 - 1


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next: str | None


def parse_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not CURSOR_RE.fullmatch(cursor) or int(cursor) > MAX_CURSOR:
        raise Invalid.field("cursor", "This cursor is not one this server gave out.")
    return int(cursor)


def keyset_page(qs: QuerySet[M], *, cursor: str | None, limit: int = 50) -> Page[M]:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid.field("limit", f"Ask for between 1 and {MAX_LIMIT} items.")
    before = parse_cursor(cursor)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items, str(items[-1].pk) if more else None)
