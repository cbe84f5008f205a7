"""Another connection cannot write a stream's next sequence numbers (issue 15 item 7).

Before: a local process that sent `beat.client` from `acq` with seq mark+1..mark+30
had its forged beats stored, and the real ones arriving later were dropped as
duplicates (and acknowledged), silently replacing 30 real beats.
"""

from __future__ import annotations

import time

import zmq

from coregulate.bus.envelope import encode_header
from coregulate.bus.producer import BusProducer
from coregulate.bus.routing import RoutingIds
from coregulate.sessionfile.access import read_messages

S = 1_000_000_000
SOURCE = "acq"


def _beat(i: int, rr_ms: float) -> bytes:
    return (
        f'{{"t_ns":[{i * S}],"rr_ms":[{rr_ms}],"rr_ticks":null,"gap_before":false,'
        f'"hr_bpm":75,"contact":true,"source":"strap"}}'
    ).encode()


def test_forged_future_seqs_from_another_connection_cannot_replace_real_beats(hub_thread):
    hub = hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, SOURCE)
    for i in range(1, 11):
        producer.send("beat.client", {"t_ns": [i * S], "rr_ms": [800.0]}, i * S)
    assert producer.flush(timeout_s=10)
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(hub_thread.endpoints.input)
    for i in range(11, 41):  # the producer's next 30 seqs, sent first, with forged beats
        raw.send_multipart([b"beat.client", encode_header(SOURCE, i, i * S), _beat(i, 333.0)])
    deadline = time.monotonic() + 10
    while hub.rejected.get("owner", 0) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    for i in range(11, 41):
        producer.send("beat.client", {"t_ns": [i * S], "rr_ms": [800.0]}, i * S)
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    raw.close()
    producer.close()
    stored = list(read_messages(hub_thread.path, ("beat.client",)))
    assert [m.seq for m in stored] == list(range(1, 41))
    assert all(m.json()["rr_ms"] == [800.0] for m in stored), "a forged beat was stored"
    assert hub.rejected["owner"] == 30


def test_a_producer_that_reconnects_keeps_its_streams(hub_thread):
    """The owner is the producer's own routing id, not one connection: a hub restart or
    a reconnect does not lock a session's process out of its own streams."""
    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, SOURCE, resend_after_s=0.3)
    producer.send("beat.client", {"t_ns": [S], "rr_ms": [800.0]}, S)
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    hub = hub_thread.start()  # a new hub on the same file: owners are learnt again
    for i in range(2, 6):
        producer.send("beat.client", {"t_ns": [i * S], "rr_ms": [800.0]}, i * S)
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    producer.close()
    assert [m.seq for m in read_messages(hub_thread.path, ("beat.client",))] == [1, 2, 3, 4, 5]
    assert "owner" not in hub.rejected


def _send_run(endpoint: str, routing_id: bytes | None, seqs: range) -> BusProducer:
    """A stage's process: its outputs `seqs` (a restart recomputes the earlier ones)."""
    producer = BusProducer(endpoint, "sync", resend_after_s=0.3, routing_id=routing_id)
    for _ in range(1, seqs.start):  # the same seq numbering as its predecessor
        producer.send("sync.dyad", {"n": 0}, S)
    for i in seqs:
        producer.send("sync.dyad", {"n": i}, i * S)
    return producer


def test_a_restarted_child_keeps_its_streams_with_the_routing_id_the_session_gave_it(
    hub_thread,
):
    """A stage the session restarts keeps its source name (it recomputes its earlier
    outputs under the same seqs); with the same routing id (bus/routing.py) the hub lets
    it go on. A new random id would have had every new seq refused as `owner`."""
    hub = hub_thread.start()
    ids = RoutingIds()
    first = _send_run(hub_thread.endpoints.input, ids.for_source("sync"), range(1, 6))
    assert first.flush(timeout_s=10)
    first.close()  # the process died
    again = _send_run(hub_thread.endpoints.input, ids.for_source("sync"), range(1, 11))
    assert again.flush(timeout_s=10), "the restarted stage was not acknowledged"
    again.close()
    stranger = _send_run(hub_thread.endpoints.input, None, range(11, 13))
    deadline = time.monotonic() + 10
    while hub.rejected.get("owner", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    stranger.close()
    hub_thread.stop()
    stored = list(read_messages(hub_thread.path, ("sync.dyad",)))
    assert [m.seq for m in stored] == list(range(1, 11))
    assert hub.rejected["owner"] == 2, "another routing id wrote the stage's stream"
    assert ids.for_source("sync") != ids.for_source("signal")


def test_routing_ids_are_per_source_stable_and_never_start_with_a_zero_byte():
    ids, other = RoutingIds(), RoutingIds()
    assert ids.for_source("signal") == ids.for_source("signal")
    assert ids.for_source("signal") != other.for_source("signal")  # random per session
    assert len({ids.for_source(f"s{i}") for i in range(50)}) == 50
    assert all(ids.for_source(f"s{i}")[0] != 0 for i in range(50))
