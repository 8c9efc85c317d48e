"""Appending to and verifying the public hash-chained log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from communs.domain import hashchain

from . import clock
from .models import Event, EventStream

INSTANCE_STREAM = "instance"


def commons_stream(slug: str) -> str:
    return f"commons:{slug}"


def stream_open(name: str) -> EventStream:
    """Create a stream's head row; done in the transaction that creates what it logs."""
    stream, _ = EventStream.objects.get_or_create(name=name)
    return stream


def _refuse_floats(value: Any) -> None:
    """PostgreSQL's jsonb rewrites some floats (1e100, -0.0), so the stored body would no longer
    match its hash. Log decimals as strings and counts as ints."""
    if isinstance(value, float):
        raise TypeError(f"event data cannot hold a float ({value!r}); log it as a string")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def _claim_next(stream: str) -> tuple[int, str] | None:
    """Advance the stream's length by one and return (new seq, previous hash).

    The UPDATE takes the head row's lock (SQLite already holds the write lock, as transactions
    start IMMEDIATE), so concurrent appends to one stream queue here and the chain stays linear.
    One statement instead of SELECT … FOR UPDATE then UPDATE: this is every write's hot path.
    """
    table = connection.ops.quote_name(EventStream._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET length = length + 1 WHERE name = %s "  # noqa: S608 - our table
            "RETURNING length, head_hash",
            [stream],
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def append(stream: str, kind: str, actor: str, data: dict[str, Any]) -> Event:
    """Append one event. Call inside the transaction that makes the change it records."""
    _refuse_floats(data)
    # Callers are already in a transaction; no savepoint needed, only atomicity when alone.
    with transaction.atomic(savepoint=False):
        claimed = _claim_next(stream)
        if claimed is None:
            # First event of a stream nobody opened: create its head (get_or_create copes with
            # a concurrent creator), then claim through the lock like everyone else.
            stream_open(stream)
            claimed = _claim_next(stream)
            assert claimed is not None  # noqa: S101 - the row exists now
        seq, prev_hash = claimed
        body = {
            "stream": stream,
            "seq": seq,
            "kind": kind,
            "actor": actor,
            "at": clock.now().isoformat(timespec="microseconds"),
            "data": data,
        }
        digest = hashchain.event_hash(prev_hash, body)
        event = Event.objects.create(
            stream_id=stream, seq=seq, body=body, prev_hash=prev_hash, hash=digest
        )
        EventStream.objects.filter(name=stream).update(head_hash=digest)
        return event


@dataclass(frozen=True)
class StreamBreak:
    stream: str
    event_id: int
    seq: int
    reason: str


def _links(stream: str) -> Iterator[hashchain.Link]:
    rows = (
        Event.objects.filter(stream_id=stream)
        .order_by("seq")
        .values_list("id", "seq", "body", "prev_hash", "hash")
    )
    for event_id, seq, body, prev_hash, digest in rows.iterator(chunk_size=2000):
        yield hashchain.Link(event_id, seq, body, prev_hash, digest)


def verify(stream: str | None = None) -> list[StreamBreak]:
    """Recompute every chain (or one); return the first break of each broken stream."""
    heads = EventStream.objects.order_by("name")
    if stream is not None:
        heads = heads.filter(name=stream)
    breaks = []
    for head in heads:
        found = hashchain.verify(_links(head.name), head_seq=head.length)
        if found is not None:
            breaks.append(StreamBreak(head.name, found.event_id, found.seq, found.reason))
    return breaks
