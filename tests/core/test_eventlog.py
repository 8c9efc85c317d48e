"""The public log: one linear hash chain per stream, and tampering is found."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communs.core import clock, eventlog
from communs.core.models import Event, EventStream
from communs.domain.errors import NotFound
from communs.domain.hashchain import GENESIS, event_hash

COMMONS = eventlog.commons_stream("seeds")


def fill(stream: str, count: int, kind: str = "thing.done") -> list[Event]:
    return [eventlog.append(stream, kind, "alice", {"n": n, "text": "é✓"}) for n in range(count)]


def only_break(stream: str | None = None) -> eventlog.StreamBreak:
    breaks = eventlog.verify(stream).breaks
    assert len(breaks) == 1, breaks
    return breaks[0]


def assert_linear(stream: str, length: int) -> None:
    rows = list(Event.objects.filter(stream_id=stream).order_by("seq"))
    assert [e.seq for e in rows] == list(range(1, length + 1))
    prev = GENESIS
    for event in rows:
        assert event.prev_hash == prev
        assert event.body["seq"] == event.seq
        assert event.body["stream"] == stream
        assert event.hash == event_hash(prev, event.body)
        prev = event.hash
    head = EventStream.objects.get(name=stream)
    assert head.length == length
    assert head.head_hash == prev


@pytest.mark.django_db
def test_commons_stream_name() -> None:
    assert eventlog.commons_stream("seed-library") == "commons:seed-library"
    assert eventlog.INSTANCE_STREAM == "instance"


@pytest.mark.django_db
def test_append_builds_one_chain_per_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    first = eventlog.append(eventlog.INSTANCE_STREAM, "account.created", "alice", {"name": "alice"})
    fill(COMMONS, 3)
    fill(eventlog.INSTANCE_STREAM, 2)

    assert first.seq == 1
    assert first.prev_hash == GENESIS
    assert first.body == {
        "stream": "instance",
        "seq": 1,
        "kind": "account.created",
        "actor": "alice",
        "at": "2024-05-01T12:00:00.000000+00:00",
        "data": {"name": "alice"},
    }
    assert (first.kind, first.actor, first.at, first.data) == (
        "account.created",
        "alice",
        "2024-05-01T12:00:00.000000+00:00",
        {"name": "alice"},
    )
    assert_linear(eventlog.INSTANCE_STREAM, 3)
    assert_linear(COMMONS, 3)
    assert eventlog.verify().breaks == ()
    assert eventlog.verify(COMMONS).breaks == ()


@pytest.mark.django_db
def test_stream_open_is_idempotent_and_starts_at_genesis() -> None:
    head = eventlog.stream_open(COMMONS)
    again = eventlog.stream_open(COMMONS)
    assert head.pk == again.pk == COMMONS
    assert (again.length, again.head_hash) == (0, GENESIS)
    assert eventlog.verify().breaks == ()
    fill(COMMONS, 1)
    eventlog.stream_open(COMMONS)
    assert EventStream.objects.get(name=COMMONS).length == 1


# -- tampering ----------------------------------------------------------------------------------


@pytest.fixture
def two_streams(db: None) -> dict[str, list[Event]]:
    return {eventlog.INSTANCE_STREAM: fill(eventlog.INSTANCE_STREAM, 4), COMMONS: fill(COMMONS, 5)}


def test_raw_body_update_is_caught(two_streams: dict[str, list[Event]]) -> None:
    target = two_streams[COMMONS][2]
    body = {**target.body, "data": {"n": 2, "text": "forged"}}
    Event.objects.filter(pk=target.pk).update(body=body)
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, target.pk, 3)
    assert "hash" in found.reason
    assert eventlog.verify(eventlog.INSTANCE_STREAM).breaks == ()


def test_raw_body_update_of_actor_is_caught(two_streams: dict[str, list[Event]]) -> None:
    target = two_streams[eventlog.INSTANCE_STREAM][0]
    Event.objects.filter(pk=target.pk).update(body={**target.body, "actor": "mallory"})
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (eventlog.INSTANCE_STREAM, target.pk, 1)


def test_rehashed_event_is_caught_at_the_next_one(two_streams: dict[str, list[Event]]) -> None:
    target, successor = two_streams[COMMONS][1], two_streams[COMMONS][2]
    body = {**target.body, "actor": "mallory"}
    Event.objects.filter(pk=target.pk).update(body=body, hash=event_hash(target.prev_hash, body))
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, successor.pk, 3)


def test_raw_hash_update_is_caught(two_streams: dict[str, list[Event]]) -> None:
    target = two_streams[COMMONS][4]
    Event.objects.filter(pk=target.pk).update(hash="f" * 64)
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, target.pk, 5)


def test_raw_prev_hash_update_is_caught(two_streams: dict[str, list[Event]]) -> None:
    target = two_streams[eventlog.INSTANCE_STREAM][3]
    Event.objects.filter(pk=target.pk).update(prev_hash=GENESIS)
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (eventlog.INSTANCE_STREAM, target.pk, 4)


def test_deleted_middle_event_is_caught(two_streams: dict[str, list[Event]]) -> None:
    events = two_streams[COMMONS]
    Event.objects.filter(pk=events[1].pk).delete()
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, events[2].pk, 3)


def test_truncation_is_caught_by_the_stream_head(two_streams: dict[str, list[Event]]) -> None:
    events = two_streams[COMMONS]
    Event.objects.filter(pk__in=[events[3].pk, events[4].pk]).delete()
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, events[2].pk, 3)
    assert "5" in found.reason


def test_deleting_every_event_of_a_stream_is_caught(two_streams: dict[str, list[Event]]) -> None:
    Event.objects.filter(stream_id=COMMONS).delete()
    found = only_break()
    assert (found.stream, found.seq) == (COMMONS, 0)


def test_swapped_sequence_numbers_are_caught(two_streams: dict[str, list[Event]]) -> None:
    events = two_streams[COMMONS]
    a, b = events[1], events[3]
    # Three steps, because (stream, seq) is unique.
    Event.objects.filter(pk=a.pk).update(seq=9999)
    Event.objects.filter(pk=b.pk).update(seq=2)
    Event.objects.filter(pk=a.pk).update(seq=4)
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, b.pk, 2)


def test_every_broken_stream_is_named(two_streams: dict[str, list[Event]]) -> None:
    Event.objects.filter(pk=two_streams[COMMONS][0].pk).update(hash="0" * 64)
    Event.objects.filter(pk=two_streams[eventlog.INSTANCE_STREAM][2].pk).update(prev_hash="1" * 64)
    breaks = eventlog.verify().breaks
    assert [(b.stream, b.event_id, b.seq) for b in breaks] == [
        (COMMONS, two_streams[COMMONS][0].pk, 1),
        (eventlog.INSTANCE_STREAM, two_streams[eventlog.INSTANCE_STREAM][2].pk, 3),
    ]
    assert [b.stream for b in eventlog.verify(COMMONS).breaks] == [COMMONS]


def test_rewritten_last_event_is_caught_by_the_stream_head(
    two_streams: dict[str, list[Event]],
) -> None:
    """Rewrite the tail and recompute its own hash: no later event notices, the head does."""
    last = two_streams[COMMONS][-1]
    body = {**last.body, "data": {"n": 4, "text": "rewritten"}}
    Event.objects.filter(pk=last.pk).update(body=body, hash=event_hash(last.prev_hash, body))
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, last.pk, 5)
    assert "head" in found.reason


def test_a_forged_head_hash_is_caught(two_streams: dict[str, list[Event]]) -> None:
    EventStream.objects.filter(name=COMMONS).update(head_hash="a" * 64)
    found = only_break()
    assert (found.stream, found.event_id, found.seq) == (COMMONS, two_streams[COMMONS][-1].pk, 5)


def test_verify_says_what_it_checked(two_streams: dict[str, list[Event]]) -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moment)
        everything = eventlog.verify()
    assert (everything.ok, everything.streams, everything.verified_at) == (True, 2, moment)
    assert eventlog.verify(COMMONS).streams == 1


def test_verifying_an_unknown_stream_is_not_found(two_streams: dict[str, list[Event]]) -> None:
    with pytest.raises(NotFound):
        eventlog.verify("commons:nowhere")
    with pytest.raises(NotFound):
        eventlog.verify("commons:a\x00b")


# -- the cached verification of the public pages -------------------------------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each full verification `verify_cached` runs, counted."""
    calls: list[object] = []
    real = eventlog.verify

    def counting(stream: str | None = None) -> eventlog.Verification:
        calls.append(stream)
        return real(stream)

    monkeypatch.setattr(eventlog, "verify", counting)
    return calls


def test_cached_verification_is_reused_while_no_head_changes(
    two_streams: dict[str, list[Event]], counted: list[object]
) -> None:
    first = eventlog.verify_cached()
    assert first.ok
    assert eventlog.verify_cached() == first
    assert len(counted) == 1
    fill(COMMONS, 1)  # a new event moves a head: recomputed
    assert eventlog.verify_cached().verified_at >= first.verified_at
    assert len(counted) == 2
    eventlog.stream_open("commons:new")  # a new stream too
    assert eventlog.verify_cached().streams == 3
    assert len(counted) == 3


def test_cached_verification_expires_after_a_minute(
    two_streams: dict[str, list[Event]], counted: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: start)
    eventlog.verify_cached()
    target = two_streams[COMMONS][0]
    Event.objects.filter(pk=target.pk).update(body={**target.body, "actor": "mallory"})
    monkeypatch.setattr(
        clock, "now", lambda: start + eventlog.VERIFY_MAX_AGE - timedelta(seconds=1)
    )
    assert eventlog.verify_cached().ok  # the rewrite left the heads alone: not seen yet
    monkeypatch.setattr(clock, "now", lambda: start + eventlog.VERIFY_MAX_AGE)
    assert [b.event_id for b in eventlog.verify_cached().breaks] == [target.pk]
    assert len(counted) == 2


def test_appending_after_tampering_does_not_hide_it(two_streams: dict[str, list[Event]]) -> None:
    target = two_streams[COMMONS][0]
    Event.objects.filter(pk=target.pk).update(body={**target.body, "kind": "other"})
    fill(COMMONS, 2)
    found = only_break()
    assert (found.event_id, found.seq) == (target.pk, 1)


# -- property: any JSON data survives the database round trip and verifies ----------------------
# Text as requests can carry it: valid UTF-8 (the API refuses lone surrogates) without NUL.

_names = itertools.count()
stored_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**62), max_value=2**62)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(stored_json, min_size=1, max_size=6))
def test_any_appended_data_verifies_after_the_round_trip(datas: list[Any]) -> None:
    # Each example in a savepoint of its own: an example that fails inside an append must not
    # leave the test's transaction broken for the next one (and hide its own error).
    with transaction.atomic():
        stream = f"prop:{next(_names)}"
        for data in datas:
            eventlog.append(stream, "prop", "alice", {"value": data})
        assert eventlog.verify(stream).breaks == ()
        stored = [
            e.body["data"]["value"] for e in Event.objects.filter(stream_id=stream).order_by("seq")
        ]
        assert stored == datas


# -- concurrency (PostgreSQL) --------------------------------------------------------------------

THREADS = 8
PER_THREAD = 25


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stream_exists", [True, False], ids=["open-stream", "new-stream"])
def test_concurrent_appends_make_one_linear_chain(
    requires_postgres: None, stream_exists: bool
) -> None:
    stream = f"commons:race-{stream_exists}"
    if stream_exists:
        eventlog.stream_open(stream)
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(PER_THREAD):
                eventlog.append(stream, "race", f"worker-{worker}", {"worker": worker, "n": n})
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []

    total = THREADS * PER_THREAD
    seqs = list(Event.objects.filter(stream_id=stream).values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs)) == total
    assert_linear(stream, total)
    assert eventlog.verify(stream).breaks == ()
    per_worker = sorted(
        (e["worker"], e["n"])
        for e in Event.objects.filter(stream_id=stream).values_list("body__data", flat=True)
    )
    assert per_worker == [(w, n) for w in range(THREADS) for n in range(PER_THREAD)]


@pytest.mark.django_db(transaction=True)
def test_verify_while_events_are_appended_sees_no_false_break(requires_postgres: None) -> None:
    """Each stream's head and events are read from one snapshot, so an append landing between
    the two reads is not mistaken for tampering."""
    stream = "commons:busy"
    fill(stream, 3)
    done = threading.Event()
    failures: list[BaseException] = []

    def append_until_done() -> None:
        try:
            n = 0
            while not done.is_set() and n < 2000:
                eventlog.append(stream, "busy", "alice", {"n": n})
                n += 1
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=append_until_done)
    writer.start()
    try:
        results = [eventlog.verify(stream) for _ in range(40)]
    finally:
        done.set()
        writer.join(timeout=60)
    assert failures == []
    assert [r.breaks for r in results if r.breaks] == []


@pytest.mark.django_db
@pytest.mark.parametrize("value", [1e100, 1.5e16, -0.0, 0.5, [1, {"x": 2.0}]])
def test_floats_are_refused_because_jsonb_would_rewrite_them(value: Any) -> None:
    """On PostgreSQL 1e100 reads back as an integer and -0.0 as 0, which would break the hash."""
    eventlog.append(COMMONS, "before", "alice", {"ok": "1.5"})
    with pytest.raises(TypeError, match="float"):
        eventlog.append(COMMONS, "bad", "alice", {"value": value})
    assert EventStream.objects.get(name=COMMONS).length == 1
    assert Event.objects.filter(stream_id=COMMONS).count() == 1
    assert eventlog.verify().breaks == ()
