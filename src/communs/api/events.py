from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from communs.core import eventlog, selectors

from .problems import ERRORS
from .schemas import EventOut, EventPage, VerifyOut

router = Router(tags=["events"])


class EventQuery(Schema):
    commons: str | None = None
    cursor: str | None = None
    limit: int = 50


@router.get("/events", response={200: EventPage, **ERRORS})
def list_events(request: HttpRequest, query: Query[EventQuery]) -> EventPage:
    if query.commons is not None:
        page = selectors.commons_events(query.commons, cursor=query.cursor, limit=query.limit)
    else:
        page = selectors.event_list(cursor=query.cursor, limit=query.limit)
    return EventPage(items=[EventOut.of(e) for e in page.items], next=page.next)


@router.get("/events/verify", response=VerifyOut)
def verify_events(request: HttpRequest) -> VerifyOut:
    """Every chain recomputed; the result is reused while no stream changes, up to 60 s."""
    return VerifyOut.of(eventlog.verify_cached())
