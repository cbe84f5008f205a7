"""The hub's guarantees, on real sockets over loopback.

- nothing is lost when producers start before the hub, or when the hub restarts
  (cleanly, or killed with SIGKILL mid-stream);
- a subscriber that joins late or stalls never blocks producers or the recording;
- loss anywhere is visible through sequence numbers;
- invalid input is rejected and counted, never stored, never fatal.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import zmq

from coregulate.bus.endpoints import Endpoints
from coregulate.bus.envelope import encode_header
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber
from coregulate.recordings.hub import HubConfig, run_hub_process
from coregulate.recordings.summary import integrity_ok, stream_counts
from coregulate.sessionfile.access import read_messages


def _seqs(path: Path, topic: str) -> list[int]:
    return [m.seq for m in read_messages(path, (topic,)) if m.topic == topic]


def test_producer_before_hub_loses_nothing(hub_thread) -> None:
    producer = BusProducer(hub_thread.endpoints.input, "acq")
    for i in range(500):
        producer.send("beat.client", {"i": i}, i)
    assert producer.pending == 500
    hub_thread.start()
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    assert _seqs(hub_thread.path, "beat.client") == list(range(1, 501))
    payloads = [m.json()["i"] for m in read_messages(hub_thread.path)]
    assert payloads == list(range(500))
    producer.close()


def test_clean_hub_restart_loses_nothing(hub_thread) -> None:
    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "acq", resend_after_s=0.3)
    for i in range(200):
        producer.send("hrm.client", b"\x00\x48", i)
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    for i in range(200, 500):  # sent while no hub is running
        producer.send("hrm.client", b"\x00\x48", i)
    hub_thread.start()
    assert producer.flush(timeout_s=15)
    hub_thread.stop()
    # Complete and without repeats; resent messages may land after newer ones.
    assert sorted(_seqs(hub_thread.path, "hrm.client")) == list(range(1, 501))
    producer.close()


def _start_hub_process(config: HubConfig) -> mp.Process:
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=run_hub_process, args=(config, ready, 30))
    proc.start()
    assert ready.wait(30), "hub process did not start"
    return proc


def test_hub_killed_mid_stream_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL drops whatever the hub held uncommitted; producers resend it."""
    ep = Endpoints.loopback()
    path = tmp_path / "killed.sqlite"
    config = HubConfig(ep.input, ep.output, str(path))
    producer = BusProducer(ep.input, "acq", resend_after_s=0.5)
    total = 0
    hub = _start_hub_process(config)
    for round_ in range(3):
        for _ in range(300):
            total += 1
            producer.send("beat.therapist", {"n": total}, total)
            producer.pump()
            time.sleep(0.001)
        os.kill(hub.pid, signal.SIGKILL)  # no chance to commit what it holds
        hub.join(10)
        for _ in range(100):  # sent while the hub is dead
            total += 1
            producer.send("beat.therapist", {"n": total}, total)
        hub = _start_hub_process(config)
        assert producer.flush(timeout_s=20), f"round {round_}: {producer.pending} unacked"
    hub.terminate()
    hub.join(10)
    assert hub.exitcode == 0
    # Resent messages land after newer ones: the file is complete, in arrival order.
    assert sorted(_seqs(path, "beat.therapist")) == list(range(1, total + 1))
    assert integrity_ok(path)
    producer.close()


def test_stalled_and_late_subscribers_never_block(hub_thread) -> None:
    hub = hub_thread.start()
    ep = hub_thread.endpoints
    stalled = BusSubscriber(ep.output, rcvhwm=10)  # never reads
    producer = BusProducer(ep.input, "acq")
    time.sleep(0.2)
    n = 20_000
    pad = "x" * 2000  # 40 MB in all: more than socket buffers can hide
    for i in range(n):
        producer.send("beat.client", {"i": i, "pad": pad}, i)
        if i % 500 == 0:
            producer.pump()
    assert producer.flush(timeout_s=20), "a stalled subscriber blocked the recording"
    late = BusSubscriber(ep.output)
    time.sleep(0.3)
    producer.send("beat.client", {"i": n}, n)
    assert producer.flush(timeout_s=5)
    got = late.recv(timeout_ms=2000)
    assert got is not None and got.seq == n + 1
    # The stalled subscriber lost messages; once it reads again, it can say how many.
    while stalled.recv(timeout_ms=500) is not None:
        pass
    producer.send("beat.client", {"i": n + 1}, n + 1)
    assert producer.flush(timeout_s=5)
    assert stalled.recv(timeout_ms=2000).seq == n + 2
    stats = stalled.streams[("acq", "beat.client")]
    assert stats.lost > 0
    assert stats.received + stats.lost == n + 2
    hub_thread.stop()
    assert hub.stored == n + 2
    assert _seqs(hub_thread.path, "beat.client") == list(range(1, n + 3))
    for s in (stalled, late):
        s.close()
    producer.close()


def test_gap_in_sequence_is_visible(hub_thread) -> None:
    hub_thread.start()
    ep = hub_thread.endpoints
    sub = BusSubscriber(ep.output)
    time.sleep(0.2)
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(ep.input)
    for seq in (1, 2, 5, 6):  # 3 and 4 never sent: lost upstream
        raw.send_multipart([b"status.client", encode_header("x", seq, 0), b"{}"])
    msgs = [sub.recv(timeout_ms=2000) for _ in range(4)]
    assert [m.seq for m in msgs if m] == [1, 2, 5, 6]
    assert sub.lost == 2
    hub_thread.stop()
    counts = {(c.source, c.topic): c for c in stream_counts(hub_thread.path)}
    assert counts[("x", "status.client")].missing == 2
    raw.close()
    sub.close()


def test_invalid_input_is_rejected_and_counted(hub_thread) -> None:
    hub = hub_thread.start()
    ep = hub_thread.endpoints
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(ep.input)
    producer = BusProducer(ep.input, "acq")
    garbage = [
        [b"only one frame"],
        [b"beat.client", b"not json", b""],
        [b"beat.client", encode_header("acq", 1, 0, version=99), b"{}"],
        [b"beat.client", encode_header("acq", 1, 0), b"x" * (2 << 20)],
        [b"", b"", b"", b""],
    ]
    for i in range(50):
        for frames in garbage:
            raw.send_multipart(frames)
        producer.send("beat.client", {"i": i}, i)
    assert producer.flush(timeout_s=10)
    # The hub commits (and so acknowledges) as soon as it has taken what waits, so
    # the producer's flush can end before the raw socket's queue is read: wait for it.
    deadline = time.monotonic() + 10
    while sum(hub.rejected.values()) < 50 * len(garbage) and time.monotonic() < deadline:
        time.sleep(0.05)
    hub_thread.stop()
    assert sum(hub.rejected.values()) == 50 * len(garbage)
    assert _seqs(hub_thread.path, "beat.client") == list(range(1, 51))
    with sqlite3.connect(hub_thread.path) as db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 50
    raw.close()
    producer.close()


def test_session_file_is_owner_only(hub_thread) -> None:
    hub_thread.start()
    hub_thread.stop()
    assert hub_thread.path.stat().st_mode & 0o777 == 0o600


def test_producer_resends_only_when_the_hub_stops_making_progress(endpoints) -> None:
    """A hub that is behind but still acknowledging gets no duplicate flood."""
    router = zmq.Context.instance().socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(endpoints.input)
    producer = BusProducer(endpoints.input, "acq", resend_after_s=0.5)
    try:
        for i in range(8):
            producer.send("beat.client", {"i": i}, i)
        identity = None
        for _ in range(8):
            assert router.poll(2000)
            identity = router.recv_multipart()[0]
        # Acknowledge one more message every 0.3 s: slower than the messages were
        # sent, faster than the resend timeout.
        for mark in range(1, 7):
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:
                producer.pump()
                time.sleep(0.01)
            ack = json.dumps({"src": "acq", "marks": {"beat.client": mark}}).encode()
            router.send_multipart([identity, b"ack", ack])
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline and producer.pending > 2:
            producer.pump()
            time.sleep(0.01)
        assert producer.resent == 0 and producer.pending == 2
        # Now the hub goes silent: after the timeout the rest is sent again.
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and producer.resent == 0:
            producer.pump()
            time.sleep(0.01)
        assert producer.resent == 2
    finally:
        producer.close()
        router.close()
