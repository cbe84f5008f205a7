"""Acquisition costs per notification: parse + place + publish, beat timing alone, ECG peaks.

Run: ``python benchmarks/bench_acquisition.py`` (prints one line per measurement).
All of it runs inside the acquisition process's event loop, which also stamps
arrivals: what matters is that each step is far below the 7.5 ms minimum BLE
connection interval, so stamping is not delayed by it.
"""

from __future__ import annotations

import statistics
import time

from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.acquisition.hrm import parse_heart_rate_measurement
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.acquisition.source import SourceEvent


class _Null:
    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        return None


def _per_call_us(fn, items, repeat: int = 5) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(items)
        runs.append((time.perf_counter() - t0) / len(items) * 1e6)
    return statistics.median(runs), min(runs)


def main() -> None:
    sim = simulate_dyad(demo_config(seed=1, duration_s=3600.0))
    notes = [e for e in sim.events if e.role == "client" and e.kind == "notification"]
    rr = [parse_heart_rate_measurement(e.data).rr_ms for e in notes]

    def timing(_items: list) -> None:
        timer = BeatTimer()
        for e, r in zip(notes, rr, strict=True):
            timer.place(e.arrival_ns, r)

    def publish(_items: list) -> None:
        pub = StrapPublisher("client", _Null())
        for e in notes:
            pub.handle(SourceEvent("client", e.arrival_ns, data=e.data))

    med, best = _per_call_us(timing, notes)
    print(f"BeatTimer.place: {med:.1f} us per notification (best {best:.1f}), n={len(notes)}")
    med, best = _per_call_us(publish, notes)
    print(f"StrapPublisher.handle (parse+place+send): {med:.1f} us (best {best:.1f})")

    import neurokit2 as nk

    from coregulate.acquisition.ecg_beats import EcgBeatDetector
    from coregulate.acquisition.pmd import EcgFrame

    ecg = (
        nk.ecg_simulate(duration=300, sampling_rate=130, heart_rate=70, random_state=1) * 1000
    ).astype(int)
    frames = [
        (
            round(i * 1e9 / 130) + 20_000_000,
            EcgFrame(round((i + 72) * 1e9 / 130), tuple(ecg[i : i + 73])),
        )
        for i in range(0, ecg.size - 73, 73)
    ]

    def detect(_items: list) -> None:
        detector = EcgBeatDetector()
        for a, f in frames:
            detector.add_frame(a, f)

    med, best = _per_call_us(detect, frames, repeat=3)
    runs = len(frames) * 73 / 130 / 2.0  # one NeuroKit2 run per 2 s of signal
    print(
        f"EcgBeatDetector.add_frame: {med:.0f} us per frame on average (best {best:.0f}); "
        f"about {med * len(frames) / runs / 1000:.1f} ms per NeuroKit2 run on a 10 s window"
    )


if __name__ == "__main__":
    main()
