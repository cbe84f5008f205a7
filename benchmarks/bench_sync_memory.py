"""The sync stage's memory over a 10-hour session: it must stay flat (issue 15 item 11).

A synthetic dyad (HR 70 ± 8 bpm on a one-minute rhythm plus noise, the two people a
quarter cycle apart; one `beat.<role>` per beat and one `metrics.<role>` with
`ln_rmssd` and `arousal_index` after it) is fed to `SyncStage` as the bus would, one
message at a time, generated as it goes so that nothing but the stage grows. Every
session hour the memory the process holds is read with `tracemalloc` (every Python
and NumPy allocation not yet freed), together with the wall time of that hour.

Before the SUSY horizon (`signal/synchrony/track.SUSY_HORIZON_S`, 2 h) the stage
kept every segment's lagged parts to pair it with every later one: about 22 MiB
per hour. Now the growth after the horizon is only the grid series kept for the
end-of-session phase synchrony (3 series × 4 Hz × 2 people × 8 bytes, about
0.7 MiB per hour).

Run alone: ``python benchmarks/bench_sync_memory.py [--quick] [--hours H] [--horizon-s S]``
(``--horizon-s 1e9`` keeps every segment: the stage as it was before the horizon).
"""

from __future__ import annotations

import math
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np

from _harness import Check, Column, Result, run_alone, standalone_parser
from coregulate.bus.envelope import Message, make_message
from coregulate.signal.synchrony import track as track_module
from coregulate.stages.sync_stage import SyncStage

NAME = "sync-memory"
TITLE = "Sync stage memory over a long session"
S = 1_000_000_000
GOAL_GROWTH_MIB_PER_H = 1.0  # after the SUSY horizon
COLUMNS = [
    Column("hour", "session hour"),
    Column("held_mib", "held (MiB)", "{:.1f}"),
    Column("growth_mib", "growth this hour (MiB)", "{:+.1f}"),
    Column("wall_s", "wall time of the hour (s)", "{:.1f}"),
]


def dyad_messages(hours: float, seed: int = 1) -> Iterator[Message]:
    """Yield the beat and metrics messages of a synthetic dyad, in time order."""
    rng = np.random.default_rng(seed)
    seq = {"client": 0, "therapist": 0}
    nxt = {"client": 0.0, "therapist": 0.3}
    while min(nxt.values()) < hours * 3600:
        role = min(nxt, key=nxt.__getitem__)
        t = nxt[role]
        phase = 0.0 if role == "client" else math.pi / 2
        rr = 60000.0 / (70 + 8 * math.sin(2 * math.pi * t / 60 + phase) + rng.normal(0, 1))
        nxt[role] = t + rr / 1000
        t_ns = int(nxt[role] * S)
        seq[role] += 1
        beat = {"t_ns": [t_ns], "rr_ms": [rr], "gap_before": False}
        yield make_message(f"beat.{role}", "bench", seq[role], t_ns, beat)
        metrics = {
            "t_ns": t_ns,
            "ln_rmssd": 3.5 + 0.3 * math.sin(t / 300 + phase),
            "arousal_index": 0.5 * math.sin(t / 200 + phase),
        }
        yield make_message(f"metrics.{role}", "bench", seq[role], t_ns, metrics)


def run_benchmark(hours: float) -> Result:
    """Feed `hours` of a dyad to the sync stage; return the memory held each hour."""
    stage = SyncStage(phase_at_end=False)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rows: list[dict[str, Any]] = []
    next_hour, held, t0 = 1, 0.0, time.monotonic()
    for msg in dyad_messages(hours):
        stage.update(msg)
        if msg.t_ns >= next_hour * 3600 * S:
            now = (tracemalloc.get_traced_memory()[0] - base) / 2**20
            rows.append(
                {
                    "hour": next_hour,
                    "held_mib": now,
                    "growth_mib": now - held,
                    "wall_s": time.monotonic() - t0,
                }
            )
            next_hour, held, t0 = next_hour + 1, now, time.monotonic()
    tracemalloc.stop()
    horizon_h = track_module.SUSY_HORIZON_S / 3600
    # From one hour after the horizon to the end: the grid arrays grow by doubling,
    # so single hours jump; the average is what a long session costs.
    after = [r for r in rows if r["hour"] >= horizon_h + 1]
    slope = (
        (after[-1]["held_mib"] - after[0]["held_mib"]) / (after[-1]["hour"] - after[0]["hour"])
        if len(after) > 1
        else math.nan
    )
    checks = [
        Check(
            f"growth after the {horizon_h:g} h SUSY horizon ≤ {GOAL_GROWTH_MIB_PER_H:g} MiB/h "
            "(average)",
            slope <= GOAL_GROWTH_MIB_PER_H,
            f"{slope:+.2f} MiB/h from hour {horizon_h + 1:g} to {rows[-1]['hour']}; "
            f"{rows[-1]['held_mib']:.1f} MiB held after {rows[-1]['hour']} h",
        )
    ]
    notes = [
        "held = tracemalloc's current size (every Python and NumPy allocation not freed) "
        "minus its size before the stage was made; wall time includes tracemalloc's overhead",
        f"SUSY pairs the segments of the last {horizon_h:g} h (track.SUSY_HORIZON_S)",
    ]
    return Result(
        name=NAME,
        title=TITLE,
        columns=COLUMNS,
        rows=rows,
        checks=checks,
        notes=notes,
        params={"hours": hours, "susy_horizon_s": track_module.SUSY_HORIZON_S},
    )


def run(quick: bool = False) -> Result:
    """Return the benchmark's result (the harness entry point).

    10 h; `quick`: 3 h with a 1 h horizon (the same mechanism in about a minute).
    """
    if not quick:
        return run_benchmark(10.0)
    saved = track_module.SUSY_HORIZON_S
    track_module.SUSY_HORIZON_S = 3600.0
    try:
        return run_benchmark(3.0)
    finally:
        track_module.SUSY_HORIZON_S = saved


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark alone and print its table."""
    parser = standalone_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=None, help="default 10")
    parser.add_argument(
        "--horizon-s",
        type=float,
        default=None,
        help="SUSY horizon instead of track.SUSY_HORIZON_S (1e9: keep every segment, as before)",
    )
    args = parser.parse_args(argv)
    if args.horizon_s is not None:
        track_module.SUSY_HORIZON_S = args.horizon_s
    if args.quick and args.hours is None:
        return run_alone(lambda: run(quick=True), args.json)
    return run_alone(lambda: run_benchmark(args.hours or 10.0), args.json)


if __name__ == "__main__":
    sys.exit(main())
