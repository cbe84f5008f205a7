"""The hub's replay from the file (docs/protocol.md, "Replay"), against a hub in a thread."""

from __future__ import annotations

import time

import pytest
import zmq

from coregulate.bus import replay as replay_module
from coregulate.bus.producer import BusProducer
from coregulate.bus.replay import REPLAY_REQUEST, ReplayClient
from coregulate.bus.sequences import SeqSet
from coregulate.recordings import hub_replay


def _record(hub_thread: object) -> None:
    """Record 30 beats and 30 metrics of the client, interleaved, through the hub."""
    producer = BusProducer(hub_thread.endpoints.input, "acq")  # type: ignore[attr-defined]
    for i in range(1, 31):
        producer.send("beat.client", {"t_ns": [i], "rr_ms": [800.0], "gap_before": False}, i)
        producer.send("metrics.client", {"i": i}, i)
    assert producer.flush(timeout_s=10)
    producer.close()


def test_replay_gives_what_is_not_held_in_recorded_order(hub_thread) -> None:
    hub_thread.start()
    _record(hub_thread)
    client = ReplayClient(hub_thread.endpoints.input)
    try:
        every = list(client.messages(("beat.", "metrics."), {}))
        assert [(m.topic, m.seq) for m in every[:4]] == [
            ("beat.client", 1),
            ("metrics.client", 1),
            ("beat.client", 2),
            ("metrics.client", 2),
        ]
        assert len(every) == 60
        # Held: beats up to 10 and 12; metrics: none. Only what is missing comes back.
        held = {("acq", "beat.client"): SeqSet(10, {12})}
        beats = [m.seq for m in client.messages(("beat.",), held)]
        assert beats == [11, *range(13, 31)]
        # A later replay may start where the last one ended: nothing new since.
        assert list(client.messages(("beat.",), {}, client.covered_id)) == []
    finally:
        client.close()


def test_replay_pages_through_a_long_file(hub_thread, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_module, "PAGE_ROWS", 7)
    monkeypatch.setattr(hub_replay, "PAGE_ROWS", 7)
    hub_thread.start()
    _record(hub_thread)
    client = ReplayClient(hub_thread.endpoints.input)
    try:
        metrics = [m.seq for m in client.messages(("metrics.",), {})]
    finally:
        client.close()
    assert metrics == list(range(1, 31))  # 9 pages of 7 rows, none lost or repeated


def test_a_malformed_replay_request_is_rejected_and_counted(hub_thread) -> None:
    hub = hub_thread.start()
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(hub_thread.endpoints.input)
    try:
        raw.send_multipart([REPLAY_REQUEST, b"{not json"])
        raw.send_multipart([REPLAY_REQUEST, b'{"topics": ["beat."]}'])  # no "have"
        deadline = time.monotonic() + 10
        while hub.rejected["frames"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        raw.close()
    assert hub.rejected["frames"] == 2
    assert hub.received == 0  # nothing stored, the hub goes on
