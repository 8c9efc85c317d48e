"""Reads of the public log."""

from __future__ import annotations

from communs.core.pagination import Page, keyset_page
from communs.domain.contributions import has_nul
from communs.domain.errors import Invalid, NotFound

from . import eventlog
from .models import Event, EventStream


def event_list(
    *, stream: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[Event]:
    rows = Event.objects.all()
    if stream is not None:
        if has_nul(stream):
            raise NotFound("No event stream has a NUL character in its name.")
        if not EventStream.objects.filter(name=stream).exists():
            raise NotFound(f"No event stream is named '{stream}'.")
        rows = rows.filter(stream_id=stream)
    return keyset_page(rows, cursor=cursor, limit=limit)


def commons_events(slug: str, *, cursor: str | None = None, limit: int = 50) -> Page[Event]:
    """The log of one commons (`?commons=` on the API names the field)."""
    if has_nul(slug):
        raise Invalid.field("commons", "Remove the NUL character.")
    return event_list(stream=eventlog.commons_stream(slug), cursor=cursor, limit=limit)
