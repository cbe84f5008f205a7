"""Session store write throughput (goal: >= 10,000 messages/s).

Two measurements, both with the message mix of a live dyad (raw notification
bytes, beat JSON, metrics JSON, in the proportions a session produces):

- ``store``: `SessionStore.add` + a commit every 2,500 messages (the hub's batch at
  10,000 msg/s and 250 ms), i.e. the SQLite side alone;
- ``hub``: a producer sending over loopback to a hub in another thread, until the
  hub has committed and acknowledged everything: the whole recording path.

Run: ``PYTHONPATH=src python benchmarks/bench_store.py``
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from coregulate.bus.endpoints import Endpoints
from coregulate.bus.envelope import make_message
from coregulate.bus.producer import BusProducer
from coregulate.recordings.hub import Hub, HubConfig
from coregulate.recordings.store import SessionStore

N_MESSAGES = 100_000
_BEAT = {
    "t_ns": [123456789012],
    "rr_ms": [812.5],
    "rr_ticks": [832],
    "gap_before": False,
    "hr_bpm": 74,
    "contact": True,
}
_METRICS = {
    "t_ns": 123456789012,
    "hr_bpm": 73.9,
    "rmssd_ms": 41.2,
    "ln_rmssd": 3.718,
    "n_beats": 74,
    "n_diffs": 73,
    "artifact_share": 0.0,
    "window_s": 60.0,
    "hr_window_s": 10.0,
    "unavailable": {},
}


def _mix(i: int) -> tuple[str, object]:
    kind = i % 3
    if kind == 0:
        return "hrm.client", b"\x16\x48\x40\x03"
    if kind == 1:
        return "beat.client", _BEAT
    return "metrics.client", _METRICS


def bench_store(folder: Path) -> float:
    """Return messages/s written by SessionStore alone."""
    store = SessionStore(folder / "store.sqlite")
    messages = []
    for i in range(N_MESSAGES):
        topic, payload = _mix(i)
        messages.append(make_message(topic, "acq", i + 1, i, payload))
    start = time.perf_counter()
    for i, msg in enumerate(messages, start=1):
        store.add(msg, msg.header_bytes(), i)
        if i % 2_500 == 0:
            store.commit()
    store.close()
    return N_MESSAGES / (time.perf_counter() - start)


def bench_hub(folder: Path) -> float:
    """Return messages/s from a producer's first send until the hub acknowledged the last."""
    ep = Endpoints.loopback()
    hub = Hub(HubConfig(ep.input, ep.output, str(folder / "hub.sqlite")))
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    producer = BusProducer(ep.input, "acq", resend_after_s=30.0)
    time.sleep(0.3)
    start = time.perf_counter()
    for i in range(N_MESSAGES):
        topic, payload = _mix(i)
        producer.send(topic, payload, i)
        if i % 1_000 == 0:
            producer.pump()
    if not producer.flush(timeout_s=120):
        raise RuntimeError(f"{producer.pending} messages not acknowledged")
    elapsed = time.perf_counter() - start
    producer.close()
    stop.set()
    thread.join(30)
    return N_MESSAGES / elapsed


def run() -> dict[str, float]:
    """Return the benchmark's results (messages per second)."""
    with tempfile.TemporaryDirectory() as tmp:
        return {
            "store_msgs_per_s": bench_store(Path(tmp)),
            "hub_msgs_per_s": bench_hub(Path(tmp)),
        }


def main() -> None:
    """Print the results."""
    for name, value in run().items():
        print(f"{name}: {value:,.0f} (goal >= 10,000; {N_MESSAGES:,} messages)")


if __name__ == "__main__":
    main()
