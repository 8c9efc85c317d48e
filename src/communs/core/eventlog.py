"""Appending to and verifying the public hash-chained log."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from communs.domain import hashchain
from communs.domain.contributions import has_nul
from communs.domain.errors import NotFound

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


@dataclass(frozen=True)
class Verification:
    """What one verification checked, when, and the first break of each broken stream."""

    streams: int
    breaks: tuple[StreamBreak, ...]
    verified_at: datetime

    @property
    def ok(self) -> bool:
        return not self.breaks


def _verify_stream(name: str) -> hashchain.Break | None:
    """Verify one stream. On PostgreSQL its head and its events are read from one snapshot
    (REPEATABLE READ), so an event appended between the two reads is not taken for tampering.
    Inside a caller's transaction the snapshot cannot be chosen, and SQLite needs none as long
    as nothing else writes."""
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic() if snapshot else nullcontext():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head = EventStream.objects.get(name=name)
        return hashchain.verify(_links(name), head_seq=head.length, head_hash=head.head_hash)


def verify(stream: str | None = None) -> Verification:
    """Recompute every chain (or the one named, NotFound if there is none) from its first event
    and compare each with its stream head's recorded length and hash."""
    names = EventStream.objects.order_by("name").values_list("name", flat=True)
    if stream is not None:
        if has_nul(stream):
            raise NotFound("No event stream has a NUL character in its name.")
        names = names.filter(name=stream)
    verified_at = clock.now()
    checked = list(names)
    if stream is not None and not checked:
        raise NotFound(f"No event stream is named '{stream}'.")
    breaks = []
    for name in checked:
        found = _verify_stream(name)
        if found is not None:
            breaks.append(StreamBreak(name, found.event_id, found.seq, found.reason))
    return Verification(len(checked), tuple(breaks), verified_at)


VERIFY_CACHE_KEY = "communs:eventlog:verification"
VERIFY_MAX_AGE = timedelta(seconds=60)
_verify_lock = threading.Lock()


def _heads_digest() -> str:
    """One hash over every stream head: it changes whenever any event is appended."""
    digest = hashlib.sha256()
    rows = EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
    for name, length, head_hash in rows.iterator():
        digest.update(hashchain.canonical_json([name, length, head_hash]))
    return digest.hexdigest()


def _cached(heads: str) -> Verification | None:
    entry = cache.get(VERIFY_CACHE_KEY)
    if not isinstance(entry, tuple) or len(entry) != 2:
        return None
    key, result = entry
    if key != heads or not isinstance(result, Verification):
        return None
    if clock.now() - result.verified_at >= VERIFY_MAX_AGE:
        return None
    return result


def verify_cached() -> Verification:
    """`verify()` for the public pages: the previous result while no stream head has changed
    and it is under a minute old, so anonymous requests cannot make the server recompute every
    chain at will. A rewrite that leaves the heads alone shows up within a minute; the CLI
    (`communs log verify`) always recomputes."""
    heads = _heads_digest()
    found = _cached(heads)
    if found is not None:
        return found
    with _verify_lock:  # concurrent requests of this process wait for one computation
        found = _cached(heads)
        if found is not None:
            return found
        result = verify()
        cache.set(VERIFY_CACHE_KEY, (heads, result), VERIFY_MAX_AGE.total_seconds())
        return result
