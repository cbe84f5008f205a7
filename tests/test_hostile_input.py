"""Hostile peers cannot break the hub: fuzzing the decoder and the live hub input.

Every byte sequence sent to the hub's input is either a valid envelope (and then
just data) or rejected and counted by kind; none crashes the hub, stalls a valid
producer, or reaches the session file. The number of inputs tried is recorded
(`record_property("fuzz_inputs", n)`) and printed in pytest's terminal summary.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coregulate.bus.envelope import (
    MAX_HEADER_BYTES,
    MAX_PAYLOAD_BYTES,
    REJECT_KINDS,
    EnvelopeError,
    decode_frames,
    encode_header,
)
from coregulate.bus.payload import PAYLOAD_REJECT_KINDS, check_payload
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber
from coregulate.recordings.hub import MAX_WIRE_FRAME_BYTES, Hub, HubConfig
from coregulate.sessionfile.access import read_messages

PRODUCER = "valid-producer-0"  # a source name no generated input can hit by chance

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
_headers = st.one_of(
    # Nearly valid: each field right, wrong or missing.
    st.fixed_dictionaries(
        {},
        optional={
            "v": st.one_of(st.just(1), st.integers(-2, 3), _json),
            "src": st.one_of(st.sampled_from(["fz", "fz.2", "a b", ""]), _json),
            "seq": st.one_of(st.integers(-3, 2**64), _json),
            "t_ns": st.one_of(st.integers(-(2**64), 2**64), _json),
            "enc": st.one_of(st.sampled_from(["json", "bytes", "xml"]), _json),
        },
    ).map(lambda h: json.dumps(h).encode()),
    st.binary(max_size=MAX_HEADER_BYTES + 8),
    st.integers(1, MAX_HEADER_BYTES + 8).map(lambda n: b"[" * n),  # nesting bombs
    st.just(encode_header("fz", 1, 0, version=2)),
)
_topics = st.one_of(
    st.sampled_from([b"beat.client", b"hrm.therapist", b"session", b"Beat", b"a..b", b""]),
    st.binary(max_size=70),
)
_payloads = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"[" * 5000, b"x" * (MAX_PAYLOAD_BYTES + 1)]),
)
HOSTILE = st.one_of(
    st.tuples(_topics, _headers, _payloads).map(list),
    st.lists(st.binary(max_size=40), min_size=1, max_size=6),  # any frame count
)


def _classify(frames: list[bytes]) -> str | tuple[str, str, int]:
    """Return the reject kind, or the stream key of a valid envelope."""
    try:
        msg = decode_frames(frames)
        check_payload(msg)  # what the hub checks next (no session clock in these tests)
    except EnvelopeError as exc:
        return exc.kind
    return (msg.source, msg.topic, msg.seq)


def test_decoder_rejects_anything_malformed_with_a_known_kind(record_property) -> None:
    tried = 0

    @settings(max_examples=3000, deadline=None, database=None)
    @given(HOSTILE)
    def check(frames: list[bytes]) -> None:
        nonlocal tried
        tried += 1
        result = _classify(frames)  # anything but EnvelopeError fails the test here
        if isinstance(result, str):
            assert result in REJECT_KINDS + PAYLOAD_REJECT_KINDS

    check()
    record_property("fuzz_inputs", tried)
    assert tried >= 1000  # hypothesis ran the examples, not a handful


def test_live_hub_survives_fuzzing_while_a_producer_records(
    tmp_path: Path, hub_thread, record_property
) -> None:
    hub = hub_thread.start()
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(hub_thread.endpoints.input)
    producer = BusProducer(hub_thread.endpoints.input, PRODUCER)
    expected_rejects = 0
    hostile_valid: set[tuple[str, str, int]] = set()
    sent = 0

    @settings(
        max_examples=1500,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(HOSTILE)
    def attack(frames: list[bytes]) -> None:
        nonlocal expected_rejects, sent
        result = _classify(frames)
        if isinstance(result, str):
            expected_rejects += 1
        else:
            hostile_valid.add(result)
        raw.send_multipart(frames)
        sent += 1
        # The valid producer keeps recording throughout.
        producer.send("beat.client", {"i": sent}, sent)
        producer.pump()

    attack()
    record_property("fuzz_inputs", sent)
    assert producer.flush(timeout_s=30), "the fuzzing stalled the valid producer"
    deadline = time.monotonic() + 30
    while sum(hub.rejected.values()) < expected_rejects and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub_thread._thread.is_alive(), "the hub thread died"
    hub_thread.stop()
    assert sum(hub.rejected.values()) == expected_rejects
    assert set(hub.rejected) <= set(REJECT_KINDS + PAYLOAD_REJECT_KINDS)
    stored = list(read_messages(hub_thread.path))
    mine = sorted(m.seq for m in stored if m.source == PRODUCER)
    assert mine == list(range(1, sent + 1))
    # Whatever else is in the file was a valid envelope: data, not an attack.
    assert {(m.source, m.topic, m.seq) for m in stored if m.source != PRODUCER} == hostile_valid
    assert sent >= 500
    raw.close()
    producer.close()


def test_oversized_frames_are_cut_off_by_the_transport(hub_thread) -> None:
    """Above MAXMSGSIZE ZeroMQ drops the sender before buffering; others go on."""
    hub = hub_thread.start()
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(hub_thread.endpoints.input)
    producer = BusProducer(hub_thread.endpoints.input, PRODUCER)
    huge = b"x" * (MAX_WIRE_FRAME_BYTES + 1)
    for i in range(1, 6):
        raw.send_multipart([b"beat.client", encode_header("fz", i, 0), huge])
        producer.send("beat.client", {"i": i}, i)
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    assert hub.rejected.get("oversize", 0) == 0  # never even reached the decoder
    assert [m.source for m in read_messages(hub_thread.path)] == [PRODUCER] * 5
    raw.close()
    producer.close()


def test_replayed_sequence_numbers_are_counted_never_republished(hub_thread) -> None:
    hub = hub_thread.start()
    sub = BusSubscriber(hub_thread.endpoints.output, ("beat.",))
    time.sleep(0.2)
    producer = BusProducer(hub_thread.endpoints.input, PRODUCER)
    for i in range(1, 51):
        producer.send("beat.client", {"i": i}, i)
    assert producer.flush(timeout_s=10)
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(hub_thread.endpoints.input)
    for i in range(1, 51):  # the same streams and seqs, with other content
        raw.send_multipart([b"beat.client", encode_header(PRODUCER, i, 0), b'{"i":-1}'])
    deadline = time.monotonic() + 10
    while hub.duplicates < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    hub_thread.stop()
    got = sub.drain()
    assert sorted(m.seq for m in got) == list(range(1, 51))  # each published once
    assert all(m.json()["i"] == m.seq for m in got)
    assert hub.duplicates == 50
    stored = list(read_messages(hub_thread.path))
    assert [m.json()["i"] for m in stored] == list(range(1, 51))  # stored once, first wins
    raw.close()
    sub.close()
    producer.close()


def test_hub_publishes_its_counters_on_status_hub(tmp_path: Path, endpoints) -> None:
    config = HubConfig(
        endpoints.input, endpoints.output, str(tmp_path / "s.sqlite"), status_interval_s=0.1
    )
    hub = Hub(config)
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    sub = BusSubscriber(endpoints.output, ("status.hub",))
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(endpoints.input)
    raw.send_multipart([b"only one frame"])
    raw.send_multipart([b"beat.client", encode_header("fz", 1, 0, version=7), b"{}"])
    status = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = sub.recv(timeout_ms=200)
        if msg is not None and msg.json()["rejected_total"] == 2:
            status = msg
            break
    stop.set()
    thread.join(10)
    assert status is not None, "no status.hub with the two rejections arrived"
    assert status.source == "hub"
    body = status.json()
    assert body["status"] == "running"
    assert body["rejected"] == {"frames": 1, "version": 1}
    for key in ("received", "stored", "duplicates", "uncommitted", "streams", "uptime_s"):
        assert isinstance(body[key], int | float)
    assert "status.hub" not in {m.topic for m in read_messages(tmp_path / "s.sqlite")}
    raw.close()
    sub.close()


@pytest.mark.parametrize("depth", [1000, MAX_HEADER_BYTES])
def test_nesting_bomb_header_is_an_envelope_error(depth: int) -> None:
    """A 1 KiB header of '[' used to raise RecursionError, which ended the hub."""
    with pytest.raises(EnvelopeError) as info:
        decode_frames([b"beat.client", b"[" * depth, b"{}"])
    assert info.value.kind == "not_json"


def test_a_flood_of_garbage_does_not_stall_a_valid_producer(hub_thread) -> None:
    hub = hub_thread.start()
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.setsockopt(zmq.SNDHWM, 0)  # queue the whole flood: the hub gets it as fast as it can
    raw.connect(hub_thread.endpoints.input)
    producer = BusProducer(hub_thread.endpoints.input, PRODUCER)
    n_flood, n_valid = 50_000, 500
    for i in range(n_flood):
        raw.send_multipart([b"beat.client", b"[" * 1024, b"{}"] if i % 2 else [b"x"])
        if i % 100 == 0:
            producer.send("beat.client", {"i": i}, i)
            producer.pump()
    assert producer.flush(timeout_s=30), "the flood stalled the valid producer"
    deadline = time.monotonic() + 30
    while sum(hub.rejected.values()) < n_flood and time.monotonic() < deadline:
        time.sleep(0.05)
    hub_thread.stop()
    assert hub.rejected == {"not_json": n_flood // 2, "frames": n_flood // 2}
    assert sorted(m.seq for m in read_messages(hub_thread.path)) == list(range(1, n_valid + 1))
    raw.close()
    producer.close()
