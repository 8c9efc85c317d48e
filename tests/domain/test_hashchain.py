"""Property tests of the hash chain: an intact chain verifies, any single tampering is caught
at the first broken event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from communs.domain.hashchain import GENESIS, Link, canonical_json, event_hash, verify

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
chain_data = st.lists(json_values, min_size=1, max_size=12)
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def event_id(position: int) -> int:
    """Ids deliberately differ from sequence numbers, so a test can tell which one is reported."""
    return 1000 + 7 * position


def build(datas: list[Any]) -> list[Link]:
    links = []
    prev = GENESIS
    for position, data in enumerate(datas):
        seq = position + 1
        body = {"seq": seq, "kind": "test", "data": data}
        digest = event_hash(prev, body)
        links.append(Link(event_id(position), seq, body, prev, digest))
        prev = digest
    return links


# -- canonical JSON -----------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": [1, 2], "a": "é✓"}) == '{"a":"é✓","b":[1,2]}'.encode()


def test_event_hash_is_sha256_of_prev_hash_and_canonical_body() -> None:
    body = {"seq": 1, "data": {"z": 1, "a": "ü"}}
    expected = hashlib.sha256(
        GENESIS.encode() + '{"data":{"a":"ü","z":1},"seq":1}'.encode()
    ).hexdigest()
    assert event_hash(GENESIS, body) == expected


def reverse_keys(value: Any) -> Any:
    """The same JSON value with every object's keys inserted in the opposite order."""
    if isinstance(value, dict):
        return {k: reverse_keys(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [reverse_keys(v) for v in value]
    return value


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=8))
def test_canonical_json_is_deterministic_and_key_order_independent(body: dict[str, Any]) -> None:
    encoded = canonical_json(body)
    assert canonical_json(reverse_keys(body)) == encoded
    assert canonical_json(json.loads(encoded)) == encoded
    assert json.loads(encoded) == body


@pytest.mark.parametrize(
    "body",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": float("-inf")},
        {"deep": [1, {"x": float("nan")}]},
    ],
)
def test_canonical_json_rejects_nan_and_infinity(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="JSON"):
        canonical_json(body)


# -- an intact chain ----------------------------------------------------------------------------


@given(chain_data)
def test_intact_chain_verifies(datas: list[Any]) -> None:
    links = build(datas)
    assert verify(links) is None
    assert verify(links, head_seq=len(links)) is None
    assert verify(iter(links), head_seq=len(links)) is None


def test_empty_chain_verifies_only_with_empty_head() -> None:
    assert verify([]) is None
    assert verify([], head_seq=0) is None
    assert verify([], head_seq=0, head_hash=GENESIS) is None
    found = verify([], head_seq=3)
    assert found is not None
    assert found.seq == 0
    found = verify([], head_seq=0, head_hash="a" * 64)
    assert found is not None
    assert found.seq == 0


@given(chain_data)
def test_intact_chain_verifies_against_its_head_hash(datas: list[Any]) -> None:
    links = build(datas)
    assert verify(links, head_seq=len(links), head_hash=links[-1].hash) is None


@given(chain_data, st.data())
def test_rewritten_last_event_is_caught_by_the_head_hash(
    datas: list[Any], data: st.DataObject
) -> None:
    """The last event altered and rehashed: no successor notices, only the head's hash."""
    links = build(datas)
    head_hash = links[-1].hash
    new_data = data.draw(json_values, label="new data")
    body = {**links[-1].body, "data": new_data}
    assume(canonical_json(body) != canonical_json(links[-1].body))
    links[-1] = replace(links[-1], body=body, hash=event_hash(links[-1].prev_hash, body))
    assert verify(links, head_seq=len(links)) is None  # what the length alone cannot see
    found = verify(links, head_seq=len(links), head_hash=head_hash)
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(len(links) - 1), len(links))
    assert "head" in found.reason


@given(chain_data, hex64)
def test_any_other_head_hash_is_a_break(datas: list[Any], head_hash: str) -> None:
    links = build(datas)
    assume(head_hash != links[-1].hash)
    found = verify(links, head_hash=head_hash)
    assert found is not None
    assert found.seq == len(links)


# -- single alterations -------------------------------------------------------------------------


@given(chain_data, st.data())
def test_altered_body_is_caught_at_that_event(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    i = data.draw(st.integers(0, len(links) - 1), label="altered")
    new_data = data.draw(json_values, label="new data")
    body = {**links[i].body, "data": new_data}
    assume(canonical_json(body) != canonical_json(links[i].body))
    links[i] = replace(links[i], body=body)
    found = verify(links, head_seq=len(links))
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(i), i + 1)
    assert "hash" in found.reason


@given(chain_data, st.data())
def test_altered_body_seq_is_caught_at_that_event(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    i = data.draw(st.integers(0, len(links) - 1))
    other = data.draw(st.integers(-5, 50).filter(lambda s: s != i + 1))
    links[i] = replace(links[i], body={**links[i].body, "seq": other})
    found = verify(links)
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(i), i + 1)


@given(chain_data, st.data())
def test_removed_body_key_is_caught(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    i = data.draw(st.integers(0, len(links) - 1))
    body = dict(links[i].body)
    del body["kind"]
    links[i] = replace(links[i], body=body)
    found = verify(links)
    assert found is not None
    assert found.event_id == event_id(i)


@given(chain_data, st.data())
def test_altered_hash_is_caught_at_that_event(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    i = data.draw(st.integers(0, len(links) - 1))
    new_hash = data.draw(hex64.filter(lambda h: h != links[i].hash))
    links[i] = replace(links[i], hash=new_hash)
    found = verify(links, head_seq=len(links))
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(i), i + 1)


@given(chain_data, st.data())
def test_altered_prev_hash_is_caught_at_that_event(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    i = data.draw(st.integers(0, len(links) - 1))
    new_prev = data.draw(hex64.filter(lambda h: h != links[i].prev_hash))
    links[i] = replace(links[i], prev_hash=new_prev)
    found = verify(links, head_seq=len(links))
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(i), i + 1)
    assert "prev_hash" in found.reason


@given(chain_data, st.data())
def test_rehashed_event_is_caught_at_the_next_one(datas: list[Any], data: st.DataObject) -> None:
    """Altering a body and recomputing its own hash still breaks the link to its successor."""
    links = build(datas)
    assume(len(links) >= 2)
    i = data.draw(st.integers(0, len(links) - 2))
    body = {**links[i].body, "data": "forged"}
    assume(body != links[i].body)
    links[i] = replace(links[i], body=body, hash=event_hash(links[i].prev_hash, body))
    found = verify(links)
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(i + 1), i + 2)


# -- removed and reordered events ---------------------------------------------------------------


@given(chain_data, st.data())
def test_removed_middle_event_is_caught_at_its_successor(
    datas: list[Any], data: st.DataObject
) -> None:
    links = build(datas)
    assume(len(links) >= 2)
    i = data.draw(st.integers(0, len(links) - 2), label="removed")
    del links[i]
    found = verify(links, head_seq=len(datas))
    assert found is not None
    assert (found.event_id, found.seq) == (event_id(i + 1), i + 2)


@given(chain_data, st.integers(1, 5))
def test_removed_events_at_the_end_are_caught_by_the_head(datas: list[Any], cut: int) -> None:
    links = build(datas)
    assume(cut <= len(links))
    kept = links[: len(links) - cut]
    # Without the head's recorded length, a truncated chain is still a valid chain...
    assert verify(kept) is None
    # ...which is why the stream head is checked: it names the last event still present.
    found = verify(kept, head_seq=len(links))
    assert found is not None
    if kept:
        assert (found.event_id, found.seq) == (kept[-1].id, kept[-1].seq)
    else:
        assert found.seq == 0
    assert str(len(links)) in found.reason


@given(chain_data, st.data())
def test_swapped_neighbours_are_caught(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    assume(len(links) >= 2)
    i = data.draw(st.integers(0, len(links) - 2))
    links[i], links[i + 1] = links[i + 1], links[i]
    found = verify(links, head_seq=len(links))
    assert found is not None
    assert found.event_id == event_id(i + 1)  # the event that moved up is the first misplaced
    assert found.seq == i + 2


@given(chain_data, st.data())
def test_swapped_sequence_numbers_are_caught(datas: list[Any], data: st.DataObject) -> None:
    """Two rows exchange `seq` (as a raw UPDATE would); read back in `seq` order."""
    links = build(datas)
    assume(len(links) >= 2)
    i = data.draw(st.integers(0, len(links) - 2))
    j = data.draw(st.integers(i + 1, len(links) - 1))
    a, b = links[i], links[j]
    links[i], links[j] = replace(b, seq=a.seq), replace(a, seq=b.seq)
    found = verify(links)
    assert found is not None
    assert (found.event_id, found.seq) == (b.id, a.seq)


@given(chain_data, st.data())
@settings(max_examples=60)
def test_any_reordering_is_caught_at_the_first_misplaced_event(
    datas: list[Any], data: st.DataObject
) -> None:
    links = build(datas)
    order = data.draw(st.permutations(range(len(links))))
    assume(list(order) != list(range(len(links))))
    first = next(k for k, position in enumerate(order) if position != k)
    found = verify([links[p] for p in order], head_seq=len(links))
    assert found is not None
    assert found.event_id == event_id(order[first])


@given(chain_data, st.data())
def test_duplicated_event_is_caught(datas: list[Any], data: st.DataObject) -> None:
    links = build(datas)
    i = data.draw(st.integers(0, len(links) - 1))
    links.insert(i + 1, links[i])
    found = verify(links)
    assert found is not None
    assert found.event_id == event_id(i)
    assert found.seq == i + 1
