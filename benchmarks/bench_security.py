"""The security benchmark: what validation and encryption cost on the live path.

1. `decode_frames` per message: a valid `beat.client` message, and a fixed mix of
   hostile inputs (every reject kind, including a 1 KiB nesting bomb and a
   1 MiB + 1 payload).
2. Latency from a producer's send to a subscriber's receive through a hub process
   on loopback, for the local plaintext output and for the CURVE viewer output
   (an allow-listed viewer), the same messages at the same time; 200 messages/s.
3. How fast the hub process rejects a flood of hostile input, read from its own
   `status.hub` counters.

Run alone: ``PYTHONPATH=src python benchmarks/bench_security.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import zmq

from coregulate.bus.endpoints import Endpoints, free_tcp_port
from coregulate.bus.envelope import (
    MAX_PAYLOAD_BYTES,
    EnvelopeError,
    decode_frames,
    encode_header,
    make_message,
)
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber, CurveClientKeys
from coregulate.recordings.hub import HubConfig, run_hub_process
from coregulate.security.access import ViewerAccess
from coregulate.security.keys import KeyStore

NAME = "security"
TITLE = "Security: envelope validation, CURVE viewer latency, hostile floods"

BEAT = {
    "t_ns": [1_000_000_000, 1_800_000_000],
    "rr_ms": [800.78125, 799.8046875],
    "rr_ticks": [820, 819],
    "gap_before": False,
    "hr_bpm": 75,
    "contact": True,
}
HOSTILE = [
    [b"only one frame"],
    [b"", b"", b"", b""],
    [b"beat.client", b"not json", b"{}"],
    [b"beat.client", b"[" * 1024, b"{}"],
    [b"beat.client", b"[1, 2]", b"{}"],
    [b"beat.client", encode_header("x", 1, 0, version=9), b"{}"],
    [b"Beat Client", encode_header("x", 1, 0), b"{}"],
    [b"beat.client", b'{"v":1,"src":"a b","seq":1,"t_ns":0}', b"{}"],
    [b"beat.client", encode_header("x", 0, 0), b"{}"],
    [b"beat.client", encode_header("x", 1, 0, enc="xml"), b"{}"],
    [b"beat.client", encode_header("x", 1, 0), b"x" * (MAX_PAYLOAD_BYTES + 1)],
]


def _per_call_us(fn: Callable[[list[bytes]], object], inputs: list, repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(repeat):
            for item in inputs:
                fn(item)
        best = min(best, (time.perf_counter_ns() - start) / (repeat * len(inputs)))
    return best / 1000


def bench_decoder() -> dict[str, float]:
    """Return µs per decode_frames call (best of 5) for valid and hostile inputs."""
    valid = [make_message("beat.client", "acq", i + 1, i, BEAT).frames() for i in range(100)]

    def reject(frames: list[bytes]) -> None:
        try:
            decode_frames(frames)
        except EnvelopeError:
            return
        raise AssertionError("a hostile input was accepted")

    return {
        "valid_us": _per_call_us(decode_frames, valid, 200),
        "hostile_us": _per_call_us(reject, HOSTILE, 200),
    }


def _start_hub(config: HubConfig) -> mp.Process:
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=run_hub_process, args=(config, ready, 40))
    proc.start()
    if not ready.wait(30):
        raise RuntimeError("the hub process did not start")
    return proc


def _pcts(values_ns: list[int]) -> tuple[float, float, float]:
    ms = sorted(v / 1e6 for v in values_ns)
    return statistics.median(ms), ms[int(0.99 * (len(ms) - 1))], ms[-1]


def bench_latency(n: int, folder: Path) -> dict[str, tuple[float, float, float]]:
    """Return (p50, p99, max) ms, send to receive, for the plaintext and CURVE outputs."""
    keys = KeyStore(folder / "keys")
    keys.create("hub")
    viewer = keys.create("viewer")
    keys.allow("viewer", viewer.public_key)
    access = ViewerAccess.from_keystore(f"tcp://127.0.0.1:{free_tcp_port()}", keys)
    ep = Endpoints.loopback()
    hub = _start_hub(HubConfig(ep.input, ep.output, str(folder / "lat.sqlite"), viewers=access))
    plain = BusSubscriber(ep.output, ("beat.",))
    curve = BusSubscriber(
        access.endpoint,
        ("beat.",),
        curve=CurveClientKeys(access.server_public_key, viewer.public_key, viewer.secret_key),
    )
    producer = BusProducer(ep.input, "bench")
    # Wait until both subscriptions are live (PUB drops what precedes them).
    seen = {"plain": False, "curve": False}
    deadline = time.monotonic() + 20
    while not all(seen.values()) and time.monotonic() < deadline:
        producer.send("beat.warmup", {}, 0)
        producer.pump()
        seen["plain"] |= plain.recv(timeout_ms=20) is not None
        seen["curve"] |= curve.recv(timeout_ms=20) is not None
    poller = zmq.Poller()
    poller.register(plain.socket, zmq.POLLIN)
    poller.register(curve.socket, zmq.POLLIN)
    lat: dict[str, list[int]] = {"plain": [], "curve": []}
    subs = {"plain": plain, "curve": curve}
    period_ns = 5_000_000  # 200 messages/s
    next_ns = time.monotonic_ns()
    sent = 0
    end = time.monotonic() + n * period_ns / 1e9 + 5
    while (len(lat["plain"]) < n or len(lat["curve"]) < n) and time.monotonic() < end:
        now = time.monotonic_ns()
        if sent < n and now >= next_ns:
            producer.send("beat.client", BEAT, now)  # t_ns = send time on this host
            producer.pump()
            sent += 1
            next_ns += period_ns
        for sock, _ in poller.poll(1):
            name = "plain" if sock is plain.socket else "curve"
            for msg in subs[name].drain():
                if msg.topic == "beat.client":
                    lat[name].append(time.monotonic_ns() - msg.t_ns)
    producer.flush(10)
    hub.terminate()
    hub.join(20)
    for s in (plain, curve):
        s.close()
    producer.close()
    return {name: _pcts(values) for name, values in lat.items()} | {
        "n": (float(len(lat["plain"])), float(len(lat["curve"])), 0.0)
    }


def bench_flood(n: int, folder: Path) -> float:
    """Return hostile messages rejected per second by a hub process (its own counters)."""
    ep = Endpoints.loopback()
    config = HubConfig(ep.input, ep.output, str(folder / "flood.sqlite"), status_interval_s=0.05)
    hub = _start_hub(config)
    status = BusSubscriber(ep.output, ("status.hub",))
    status.recv(timeout_ms=5000)  # the subscription is live
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.setsockopt(zmq.SNDHWM, 0)
    raw.connect(ep.input)
    small = [f for f in HOSTILE if sum(map(len, f)) < 4096]
    start = time.monotonic()
    for i in range(n):
        raw.send_multipart(small[i % len(small)])
    rejected = 0
    deadline = time.monotonic() + 120
    while rejected < n and time.monotonic() < deadline:
        msg = status.recv(timeout_ms=1000)
        if msg is not None:
            rejected = msg.json()["rejected_total"]
    elapsed = time.monotonic() - start
    hub.terminate()
    hub.join(20)
    raw.close()
    status.close()
    return rejected / elapsed


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--messages", type=int, default=3000, help="latency messages")
    parser.add_argument("--flood", type=int, default=100_000, help="hostile messages")
    args = parser.parse_args()
    dec = bench_decoder()
    print(f"decode_frames: valid {dec['valid_us']:.1f} µs, hostile {dec['hostile_us']:.1f} µs")
    with tempfile.TemporaryDirectory() as tmp:
        lat = bench_latency(args.messages, Path(tmp))
        for name in ("plain", "curve"):
            p50, p99, worst = lat[name]
            print(f"latency {name}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms")
        print(f"received: plain {lat['n'][0]:.0f}, curve {lat['n'][1]:.0f} of {args.messages}")
        rate = bench_flood(args.flood, Path(tmp))
        print(f"hostile flood: {rate:,.0f} rejected messages/s ({args.flood} sent)")


if __name__ == "__main__":
    main()
