"""Session store write throughput (goal: >= 10,000 messages/s).

Two measurements, both with the message mix of a live dyad (raw notification
bytes, beat JSON, metrics JSON, in the proportions a session produces):

- ``store``: `SessionStore.add` + a commit every 2,500 messages (the hub's batch at
  10,000 msg/s and 250 ms), i.e. the SQLite side alone;
- ``hub``: a producer sending over loopback to a hub in another thread, until the
  hub has committed and acknowledged everything: the whole recording path.

After each, every message is looked up in the file (each stream's seqs 1..n).

Run alone: ``PYTHONPATH=src python benchmarks/bench_store.py [--quick] [--json OUT]``.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from _harness import (
    CORRECTNESS,
    Check,
    Column,
    Result,
    run_alone,
    standalone_parser,
    temp_folder,
)
from coregulate.bus.endpoints import Endpoints
from coregulate.bus.envelope import make_message
from coregulate.bus.producer import BusProducer
from coregulate.recordings.hub import Hub, HubConfig
from coregulate.recordings.store import SessionStore
from coregulate.sessionfile.access import open_readonly

NAME = "store"
TITLE = "Recordings: session store write throughput"
GOAL_MSGS_PER_S = 10_000
SOURCE = "acq"
TOPICS = ("hrm.client", "beat.client", "metrics.client")
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
_PAYLOADS = (b"\x16\x48\x40\x03", _BEAT, _METRICS)


def _mix(i: int) -> tuple[str, object]:
    """Return the i-th message's topic and payload: raw bytes, a beat, metrics in turn."""
    return TOPICS[i % 3], _PAYLOADS[i % 3]


def _missing(path: Path, n: int) -> int:
    """Return how many of the `n` messages sent are not in the file (each stream 1..k)."""
    db = open_readonly(path)
    try:
        missing = 0
        for k, topic in enumerate(TOPICS):
            expected = set(range(1, len(range(k, n, 3)) + 1))
            rows = db.execute(
                "SELECT seq FROM messages WHERE source = ? AND topic = ?", (SOURCE, topic)
            )
            missing += len(expected - {seq for (seq,) in rows})
        return missing
    finally:
        db.close()


def bench_store(path: Path, n: int) -> float:
    """Return messages/s written by SessionStore alone."""
    store = SessionStore(path)
    seqs = dict.fromkeys(TOPICS, 0)
    messages = []
    for i in range(n):
        topic, payload = _mix(i)
        seqs[topic] += 1
        messages.append(make_message(topic, SOURCE, seqs[topic], i, payload))
    start = time.perf_counter()
    for i, msg in enumerate(messages, start=1):
        store.add(msg, msg.header_bytes(), i)
        if i % 2_500 == 0:
            store.commit()
    store.close()
    return n / (time.perf_counter() - start)


def bench_hub(path: Path, n: int) -> float:
    """Return messages/s from a producer's first send until the hub acknowledged the last."""
    ep = Endpoints.loopback()
    hub = Hub(HubConfig(ep.input, ep.output, str(path)))
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    producer = BusProducer(ep.input, SOURCE, resend_after_s=30.0)
    time.sleep(0.3)
    start = time.perf_counter()
    for i in range(n):
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
    return n / elapsed


def run(quick: bool = False) -> Result:
    """Return the store benchmark's result (`quick`: 20,000 messages instead of 100,000)."""
    n = 20_000 if quick else 100_000
    rows = []
    with temp_folder() as folder:
        for what, bench in (
            ("SessionStore alone, a commit every 2,500", bench_store),
            ("through the hub: loopback, committed, acknowledged", bench_hub),
        ):
            path = folder / f"{bench.__name__}.sqlite"
            rate = bench(path, n)
            rows.append({"what": what, "n": n, "msgs_per_s": rate, "missing": _missing(path, n)})
    checks = [
        Check(
            f"write throughput ≥ {GOAL_MSGS_PER_S:,} msg/s ({row['what']})",
            row["msgs_per_s"] >= GOAL_MSGS_PER_S,
            f"{row['msgs_per_s']:,.0f} msg/s over {n:,} messages",
        )
        for row in rows
    ]
    checks.append(
        Check(
            "every message written is in the file (each stream's seqs 1..n)",
            all(row["missing"] == 0 for row in rows),
            "; ".join(f"{row['missing']} missing of {n:,}" for row in rows),
            CORRECTNESS,
        )
    )
    return Result(
        name=NAME,
        title=TITLE,
        columns=[
            Column("what", "path"),
            Column("n", "messages", "{:,}"),
            Column("msgs_per_s", "msg/s", "{:,.0f}"),
            Column("missing", "missing", "{:,}"),
        ],
        rows=rows,
        checks=checks,
        notes=[
            "message mix of a live dyad: raw 0x2A37 bytes, beat JSON, metrics JSON in turn",
            "timer: time.perf_counter from the first add/send to the last commit/acknowledgement",
        ],
        params={"n_messages": n, "commit_every": 2_500, "quick": quick},
    )


if __name__ == "__main__":
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
