"""The public log's hash chain.

Each event of a stream stores the hash of the one before it and
`hash = sha256(prev_hash + canonical_json(body))`. Changing, removing or reordering any event
breaks the chain at that event or the next one (or, for the last event, disagrees with the
hash the stream head recorded), which is what `verify` reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(body: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same body always gives the same bytes."""
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(prev_hash: str, body: Any) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class Link:
    """What verification needs of one stored event."""

    id: int
    seq: int
    body: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """The first event of a stream where the chain no longer holds, and why."""

    event_id: int
    seq: int
    reason: str


def verify(
    links: Iterable[Link], *, head_seq: int | None = None, head_hash: str | None = None
) -> Break | None:
    """Walk one stream in `seq` order; return the first break, or None if the chain holds.

    `head_seq` and `head_hash` are the stream's recorded length and last hash: the first catches
    events removed from the end, the second a last event rewritten together with its own hash
    (nothing after it would notice). Runs in constant memory, so `links` can stream from the
    database.
    """
    expected_prev = GENESIS
    expected_seq = 1
    last: Link | None = None
    for link in links:
        if link.seq != expected_seq:
            return Break(link.id, link.seq, f"expected sequence {expected_seq}, found {link.seq}")
        if link.prev_hash != expected_prev:
            return Break(link.id, link.seq, "prev_hash does not match the previous event's hash")
        body_seq = link.body.get("seq") if isinstance(link.body, dict) else None
        if body_seq != link.seq:
            return Break(link.id, link.seq, "the body's sequence does not match its position")
        if event_hash(link.prev_hash, link.body) != link.hash:
            return Break(link.id, link.seq, "hash does not match the event's content")
        expected_prev = link.hash
        expected_seq += 1
        last = link
    where = last.id if last else 0
    if head_seq is not None and head_seq != expected_seq - 1:
        return Break(
            where, expected_seq - 1, f"stream head says {head_seq} events, found {expected_seq - 1}"
        )
    if head_hash is not None and head_hash != expected_prev:
        return Break(
            where, expected_seq - 1, "the stream head's hash does not match the last event's hash"
        )
    return None
