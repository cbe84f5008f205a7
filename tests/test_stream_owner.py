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
