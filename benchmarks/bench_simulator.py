"""The strap simulator: how fast a two-hour dyad is generated (goal: < 2 s).

`simulate_dyad(demo_config(seed=1, duration_s=7200))` builds both people's beats
(RSA, LF rhythm, drift, arousal episodes, coupling, artifacts, contact loss, a
disconnection) and every notification's 0x2A37 bytes: what tests, the demo and the
other benchmarks start from. Timed end to end with `time.perf_counter`, the median
of three runs (one with ``--quick``).

Run alone: ``PYTHONPATH=src python benchmarks/bench_simulator.py [--quick] [--json OUT]``.
"""

from __future__ import annotations

import statistics
import sys
import time

from _harness import CORRECTNESS, Check, Column, Result, run_alone, standalone_parser
from coregulate.acquisition import parse_heart_rate_measurement
from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.signal.dyad import ROLES

NAME = "simulator"
TITLE = "Simulated straps: a two-hour dyad"
GOAL_S = 2.0
DURATION_S = 7200.0


def run(quick: bool = False) -> Result:
    """Return the simulator benchmark's result (`quick`: one run instead of three)."""
    repeats = 1 if quick else 3
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim = simulate_dyad(demo_config(seed=1, duration_s=DURATION_S))
        times.append(time.perf_counter() - t0)
    median_s = statistics.median(times)
    counts = {
        role: sum(e.role == role and e.kind == "notification" for e in sim.events) for role in ROLES
    }
    # About one notification a second; the demo's 20 s disconnection costs ~20.
    expected = (DURATION_S - 40, DURATION_S + 5)
    parsed = all(
        parse_heart_rate_measurement(e.data) is not None
        for e in sim.events
        if e.kind == "notification"
    )
    return Result(
        name=NAME,
        title=TITLE,
        columns=[
            Column("what", "measure"),
            Column("n", "runs"),
            Column("median_s", "median s", "{:.2f}"),
            Column("max_s", "max s", "{:.2f}"),
        ],
        rows=[
            {
                "what": f"simulate_dyad(demo_config(seed=1, duration_s={DURATION_S:g}))",
                "n": repeats,
                "median_s": median_s,
                "max_s": max(times),
            }
        ],
        checks=[
            Check(
                f"{DURATION_S / 3600:g} h generated in < {GOAL_S:g} s",
                median_s < GOAL_S,
                f"median {median_s:.2f} s of {repeats}",
            ),
            Check(
                "about one notification a second per person, every one parses as 0x2A37",
                parsed and all(expected[0] <= n <= expected[1] for n in counts.values()),
                ", ".join(f"{role} {n:,}" for role, n in counts.items())
                + f" notifications (expected {expected[0]:,.0f}-{expected[1]:,.0f})",
                CORRECTNESS,
            ),
        ],
        notes=["timer: time.perf_counter around simulate_dyad (the config is built inside)"],
        params={"duration_s": DURATION_S, "seed": 1, "repeats": repeats, "quick": quick},
    )


if __name__ == "__main__":
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
