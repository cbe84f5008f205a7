"""`coregulate analyze` on a simulated 1-hour session of four people (issue 19).

Input: the demo group of four (`write_simulated_session(n_people=4)`: client,
partner, therapist, co-therapist; the therapist leads the client by 2 s, the
co-therapist the partner by 3 s, the other four pairs independent), written through
the live strap publisher (outside the timing).
Timed, in a fresh interpreter (start-up and imports included):
``coregulate analyze FILE --json OUT``: every person's per-person stages, the six
pairs' heart-rate (and slow-series) synchrony with SUSY and the chance verdict,
and the group summary. Beside it, the same command on the first dyad alone (a
two-person hour) for scale.

Issue 19's "1-hour 4-person session offline ≤ 2 s" is the synchrony's (every pair
and the group: bench_group_sync.py, as the dyad's `sync` goal is); this times the
whole command against the same 2 s, the strict reading, which also counts every
person's HRV chain at every beat (about 0.5 CPU s per person-hour) and start-up.
Run alone:
``PYTHONPATH=src python benchmarks/bench_analyze_group.py [--quick]`` (``--quick``:
one run each instead of three).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _harness import CORRECTNESS, Check, Column, Result, run_alone, standalone_parser, temp_folder

NAME = "analyze_group"
TITLE = "Recordings: `coregulate analyze` on a simulated 1-hour session of four people"
GOAL_S = 2.0
HOUR_S = 3600.0
COUPLED = {("client", "therapist"), ("partner", "co-therapist")}


def _fresh(args: list[str]) -> tuple[float, float]:
    """Return the wall and CPU seconds (its workers' too) of ``python ARGS``, freshly started.

    CPU seconds say what the work costs whatever else runs on the machine; wall
    seconds on a busy machine mostly say how busy it is.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _files(folder: Path) -> tuple[Path, Path]:
    """Return the 4-person demo group's hour and the demo dyad's hour (same seed)."""
    from coregulate.recordings.simulated_file import write_simulated_session

    group = write_simulated_session(folder / "four.sqlite", 1, HOUR_S, n_people=4)
    dyad = write_simulated_session(folder / "two.sqlite", 1, HOUR_S)
    return group, dyad


def _analyze(path: Path, out: Path) -> list[str]:
    return ["-m", "coregulate.cli", "analyze", str(path), "--json", str(out)]


def run(quick: bool = False) -> Result:
    """Return the timings of both analyses and the checks."""
    repeats = 1 if quick else 3
    with temp_folder() as folder:
        group, dyad = _files(folder)
        out = folder / "summary.json"
        two = [_fresh(_analyze(dyad, folder / "two.json")) for _ in range(repeats)]
        four = [_fresh(_analyze(group, out)) for _ in range(repeats)]
        summary = json.loads(out.read_text())
    four_s, two_s = (statistics.median(w for w, _ in runs) for runs in (four, two))
    rows = [
        {"what": what, "n": repeats, "s": statistics.median(w for w, _ in runs),
         "max_s": max(w for w, _ in runs), "cpu_s": statistics.median(c for _, c in runs)}
        for what, runs in (("analyze, 4 people (6 pairs)", four),
                           ("analyze, 2 people (the dyad)", two))
    ]  # fmt: skip
    lags = {(p["a"], p["b"]): p["peak_lag_s"] for p in summary["pairs"]}
    verdicts = {(p["a"], p["b"]): p["above_chance"] for p in summary["pairs"]}
    found = all(verdicts[k] is (k in COUPLED) for k in verdicts)
    checks = [
        Check(
            f"whole analyze of the 4-person hour ≤ {GOAL_S:g} s incl. start-up and 4 HRV chains",
            four_s <= GOAL_S,
            f"{four_s:.2f} s",
        ),
        Check(
            "every person and pair analysed; coupled pairs above chance, the others not",
            len(summary["people"]) == 4 and len(summary["pairs"]) == 6 and found,
            f"lags {lags}",
            CORRECTNESS,
        ),
    ]
    return Result(
        name=NAME,
        title=TITLE,
        columns=[
            Column("what", "what"),
            Column("n", "runs"),
            Column("s", "median s", "{:.2f}"),
            Column("max_s", "max s", "{:.2f}"),
            Column("cpu_s", "median CPU s", "{:.2f}"),
        ],
        rows=rows,
        checks=checks,
        notes=[
            "input: write_simulated_session(n_people=4), seed 1, 3600 s, four people "
            f"({sum(p['n_beats'] for p in summary['people'].values())} beats)",
            "timer: time.perf_counter around a fresh `python` process (imports included); "
            "CPU: its user + system seconds, forked workers included (RUSAGE_CHILDREN)",
            f"4 people / 2 people: {four_s / two_s:.2f}×",
        ],
        params={"repeats": repeats, "quick": quick, "duration_s": HOUR_S},
    )


if __name__ == "__main__":
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
