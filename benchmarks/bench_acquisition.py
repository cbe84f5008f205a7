"""The acquisition benchmark: per-notification cost in the acquisition event loop.

Everything here runs inside the acquisition process's asyncio loop, which also
stamps arrivals: each step must stay far below the 7.5 ms minimum BLE connection
interval so stamping is never delayed by it. Measured per call with
`time.perf_counter_ns` over a simulated 1-hour strap (`demo_config`, client role):

- `BeatTimer.place` alone (beat timing, trailing 120 s window);
- `StrapPublisher.handle` (parse 0x2A37, checks, beat timing, build the messages;
  the bus send replaced by a no-op);
- `EcgBeatDetector.add_frame` on 5 min of NeuroKit2-simulated ECG at 130 Hz in
  73-sample frames (most calls only buffer; every 2 s of signal one NeuroKit2
  `ecg_clean` + `ecg_peaks` run over the trailing 10 s).

Run alone: ``python benchmarks/bench_acquisition.py`` (with the harness on the path).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from _harness import (
    CORRECTNESS,
    GOAL,
    Check,
    Result,
    latency_columns,
    latency_row,
    run_alone,
    standalone_parser,
    timed_calls_ms,
)
from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.acquisition.hrm import parse_heart_rate_measurement
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.acquisition.source import SourceEvent

NAME = "acquisition"
TITLE = "Acquisition: per-notification cost in the event loop"
GOAL_P99_MS = 2.0  # well below the 7.5 ms minimum BLE connection interval
COLUMNS = latency_columns("step", "calls")


class _NullSender:
    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        return None


def _ecg_frames(duration_s: float) -> list[tuple[int, Any]]:
    import neurokit2 as nk

    from coregulate.acquisition.pmd import EcgFrame

    ecg = nk.ecg_simulate(duration=duration_s, sampling_rate=130, heart_rate=70, random_state=1)
    uv = np.round(ecg * 1000.0).astype(int)
    return [
        (
            round((i + 72) * 1e9 / 130) + 20_000_000,
            EcgFrame(round((i + 72) * 1e9 / 130), tuple(uv[i : i + 73])),
        )
        for i in range(0, uv.size - 73, 73)
    ]


def run_benchmark(duration_s: float = 3600.0, ecg_s: float = 300.0) -> Result:
    """Return the acquisition benchmark's table and checks."""
    from coregulate.acquisition.ecg_beats import EcgBeatDetector

    sim = simulate_dyad(demo_config(seed=1, duration_s=duration_s))
    notes_ = [e for e in sim.events if e.role == "client" and e.kind == "notification"]
    rr = [parse_heart_rate_measurement(e.data).rr_ms for e in notes_]

    timer = BeatTimer()
    place_ms, _ = timed_calls_ms(
        lambda args: timer.place(*args),
        [(e.arrival_ns, r) for e, r in zip(notes_, rr, strict=True)],
    )

    pub = StrapPublisher("client", _NullSender())
    handle_ms, _ = timed_calls_ms(
        pub.handle, [SourceEvent("client", e.arrival_ns, data=e.data) for e in notes_]
    )

    frames = _ecg_frames(ecg_s)
    detector = EcgBeatDetector()
    frame_ms, outs = timed_calls_ms(lambda args: detector.add_frame(*args), frames)
    n_beats = sum(len(b["t_ns"]) for out in outs for b in out)
    n_runs = int(len(frames) * 73 / 130 / 2.0)  # NeuroKit2 runs every 2 s of signal
    runs_ms = np.sort(frame_ms)[-n_runs:]  # the slowest calls are the NeuroKit2 runs

    rows = [
        latency_row("BeatTimer.place", place_ms),
        latency_row("StrapPublisher.handle (parse, checks, timing)", handle_ms),
        latency_row("EcgBeatDetector.add_frame, all frames", frame_ms),
        latency_row("EcgBeatDetector.add_frame, NeuroKit2 runs", runs_ms),
    ]
    checks = [
        Check(
            f"notification handling p99 ≤ {GOAL_P99_MS:g} ms",
            rows[1]["p99_ms"] <= GOAL_P99_MS,
            f"p99 {rows[1]['p99_ms']:.3f} ms over {rows[1]['n']:,} notifications",
            GOAL,
        ),
        Check(
            "ECG R peaks found at the simulated rate (70 bpm)",
            abs(n_beats / (ecg_s / 60.0) - 70.0) < 5.0,
            f"{n_beats} beats in {ecg_s:g} s",
            CORRECTNESS,
        ),
    ]
    return Result(
        name=NAME,
        title=TITLE,
        columns=COLUMNS,
        rows=rows,
        checks=checks,
        notes=[
            f"simulated strap: demo_config(seed=1, duration_s={duration_s:g}), client role",
            "NeuroKit2 import (1.4-2.8 s) happens before the session clock starts, not timed",
        ],
        params={"duration_s": duration_s, "ecg_s": ecg_s},
    )


def run(quick: bool = False) -> Result:
    """Run the benchmark (`quick`: 10 simulated minutes and 2 min of ECG)."""
    return run_benchmark(600.0, 120.0) if quick else run_benchmark()


if __name__ == "__main__":
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
